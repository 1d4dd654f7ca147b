Rem com_automation.ipc, a VBScript client run by cscript: it finds the
Rem counter by the ProgID ipckit run hands it (IPCKIT_EP_COUNTER).
Set env = CreateObject("WScript.Shell").Environment("PROCESS")
Set counter = CreateObject(env("IPCKIT_EP_COUNTER"))
WScript.Echo "vbs: Add(100) returned at least 100: " & (counter.Add(100) >= 100)
counter.Bye "vbs"
