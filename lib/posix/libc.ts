/**
 * libc (glibc, x86-64 Linux), as data. Native types in comments; no logic.
 * int = i32, size_t = usize, ssize_t = isize, off_t = i64, pointers = pointer,
 * `const char*` = buffer (NUL-terminated UTF-8 from encodeC).
 * `*Async` entries are blocking twins of a sync call (same export, run off
 * the JavaScript thread); they take native addresses, never buffers.
 *
 * @module
 */
import { NativeLibrary } from "../ffi/mod.ts";

/** libc symbols used by ipckit. */
export const libc = new NativeLibrary(
  { linux: "libc.so.6" },
  {
    // --- errors, process --------------------------------------------------------
    __errno_location: { args: [], returns: "pointer" }, // int* __errno_location(void)
    strerror: { args: ["i32"], returns: "pointer" }, // char* strerror(int)
    getpid: { args: [], returns: "i32" },
    getuid: { args: [], returns: "u32" },
    kill: { args: ["i32", "i32"], returns: "i32" }, // int kill(pid_t, int sig)

    // --- file descriptors ---------------------------------------------------------
    close: { args: ["i32"], returns: "i32" },
    read: { args: ["i32", "buffer", "usize"], returns: "isize" }, // ssize_t read(int, void*, size_t)
    write: { args: ["i32", "buffer", "usize"], returns: "isize" },
    pipe2: { args: ["buffer", "i32"], returns: "i32" }, // int pipe2(int fds[2], int flags)
    // int fcntl(int fd, int cmd, long arg): variadic, but integer args pass as in a plain call on x86-64
    fcntl: { args: ["i32", "i32", "i64"], returns: "i32" },
    // int poll(struct pollfd* fds, nfds_t n, int timeoutMs)
    pollAsync: { symbol: "poll", args: ["pointer", "u64", "i32"], returns: "i32", blocking: true },
    poll: { args: ["buffer", "u64", "i32"], returns: "i32" },
    open: { args: ["buffer", "i32", "u32"], returns: "i32" }, // int open(const char*, int flags, mode_t)
    unlink: { args: ["buffer"], returns: "i32" },
    // long syscall(long nr, ...): variadic; used for futex(2) and pidfd_open(2) with integer args
    syscall: { args: ["i64", "i64", "i64", "i64", "i64", "i64", "i64"], returns: "i64" },
    syscallAsync: {
      symbol: "syscall",
      args: ["i64", "i64", "i64", "i64", "i64", "i64", "i64"],
      returns: "i64",
      blocking: true,
    },

    // --- shared memory -------------------------------------------------------------
    shm_open: { args: ["buffer", "i32", "u32"], returns: "i32" }, // int shm_open(const char*, int flags, mode_t)
    shm_unlink: { args: ["buffer"], returns: "i32" }, // int shm_unlink(const char*)
    ftruncate: { args: ["i32", "i64"], returns: "i32" }, // int ftruncate(int, off_t)
    // int posix_fallocate(int, off_t offset, off_t len): returns the error number, does not set errno
    posix_fallocate: { args: ["i32", "i64", "i64"], returns: "i32" },
    lseek: { args: ["i32", "i64", "i32"], returns: "i64" }, // off_t lseek(int, off_t, int whence)
    // void* mmap(void* addr, size_t len, int prot, int flags, int fd, off_t offset); MAP_FAILED = (void*)-1
    mmap: { args: ["pointer", "usize", "i32", "i32", "i32", "i64"], returns: "pointer" },
    munmap: { args: ["pointer", "usize"], returns: "i32" }, // int munmap(void*, size_t)
    msync: { args: ["pointer", "usize", "i32"], returns: "i32" }, // int msync(void*, size_t, int flags)
    flock: { args: ["i32", "i32"], returns: "i32" }, // int flock(int fd, int op)
    getpagesize: { args: [], returns: "i32" },
    clock_gettime: { args: ["i32", "buffer"], returns: "i32" }, // int clock_gettime(clockid_t, struct timespec*)
    // Process-shared robust mutexes living in shared memory (pthread_mutex_t* = pointer into a mapping;
    // pthread_mutexattr_t* = buffer). These return the error number; they do not set errno.
    pthread_mutexattr_init: { args: ["buffer"], returns: "i32" },
    pthread_mutexattr_setpshared: { args: ["buffer", "i32"], returns: "i32" },
    pthread_mutexattr_setrobust: { args: ["buffer", "i32"], returns: "i32" },
    pthread_mutexattr_destroy: { args: ["buffer"], returns: "i32" },
    pthread_mutex_init: { args: ["pointer", "buffer"], returns: "i32" },
    pthread_mutex_trylock: { args: ["pointer"], returns: "i32" },
    pthread_mutex_unlock: { args: ["pointer"], returns: "i32" },
    pthread_mutex_consistent: { args: ["pointer"], returns: "i32" },
    // --- end shared memory ---------------------------------------------------------

    // --- sockets, pipes, processes ---------------------------------------------------
    // int socket(int domain, int type, int protocol)
    socket: { args: ["i32", "i32", "i32"], returns: "i32" },
    // int bind(int fd, const struct sockaddr*, socklen_t)
    bind: { args: ["i32", "buffer", "u32"], returns: "i32" },
    listen: { args: ["i32", "i32"], returns: "i32" }, // int listen(int fd, int backlog)
    // int accept4(int fd, struct sockaddr*, socklen_t*, int flags)
    accept4: { args: ["i32", "pointer", "pointer", "i32"], returns: "i32" },
    // int connect(int fd, const struct sockaddr*, socklen_t)
    connect: { args: ["i32", "buffer", "u32"], returns: "i32" },
    // int getsockopt(int fd, int level, int name, void* value, socklen_t* length)
    getsockopt: { args: ["i32", "i32", "i32", "buffer", "buffer"], returns: "i32" },
    // int setsockopt(int fd, int level, int name, const void* value, socklen_t length)
    setsockopt: { args: ["i32", "i32", "i32", "buffer", "u32"], returns: "i32" },
    // ssize_t send(int fd, const void*, size_t, int flags)
    send: { args: ["i32", "buffer", "usize", "i32"], returns: "isize" },
    // ssize_t recv(int fd, void*, size_t, int flags)
    recv: { args: ["i32", "buffer", "usize", "i32"], returns: "isize" },
    // ssize_t recvfrom(int fd, void*, size_t, int flags, struct sockaddr* from, socklen_t* fromLength)
    recvfrom: { args: ["i32", "buffer", "usize", "i32", "buffer", "buffer"], returns: "isize" },
    // ssize_t sendto(int fd, const void*, size_t, int flags, const struct sockaddr* to, socklen_t toLength)
    sendto: { args: ["i32", "buffer", "usize", "i32", "buffer", "u32"], returns: "isize" },
    shutdown: { args: ["i32", "i32"], returns: "i32" }, // int shutdown(int fd, int how)
    // int getsockname(int fd, struct sockaddr*, socklen_t*); getpeername likewise
    getsockname: { args: ["i32", "buffer", "buffer"], returns: "i32" },
    getpeername: { args: ["i32", "buffer", "buffer"], returns: "i32" },
    // int waitpid(pid_t, int* status, int options)
    waitpid: { args: ["i32", "buffer", "i32"], returns: "i32" },
    // int posix_spawn(pid_t*, const char* path, const posix_spawn_file_actions_t*, const posix_spawnattr_t*,
    //                 char* const argv[], char* const envp[])  -- returns an errno value, not -1
    posix_spawn: {
      args: ["buffer", "buffer", "pointer", "pointer", "pointer", "pointer"],
      returns: "i32",
    },
    posix_spawn_file_actions_init: { args: ["pointer"], returns: "i32" },
    posix_spawn_file_actions_destroy: { args: ["pointer"], returns: "i32" },
    // int posix_spawn_file_actions_adddup2(actions*, int fd, int newfd): fd == newfd clears FD_CLOEXEC
    posix_spawn_file_actions_adddup2: { args: ["pointer", "i32", "i32"], returns: "i32" },
    posix_spawn_file_actions_addclose: { args: ["pointer", "i32"], returns: "i32" },
    // int posix_spawn_file_actions_addopen(actions*, int fd, const char* path, int oflag, mode_t): copies path
    posix_spawn_file_actions_addopen: {
      args: ["pointer", "i32", "buffer", "i32", "u32"],
      returns: "i32",
    },
    // int posix_spawn_file_actions_addchdir_np(actions*, const char* path): glibc 2.29, copies path
    posix_spawn_file_actions_addchdir_np: { args: ["pointer", "buffer"], returns: "i32" },
    // int posix_spawn_file_actions_addclosefrom_np(actions*, int from): glibc 2.34
    posix_spawn_file_actions_addclosefrom_np: {
      args: ["pointer", "i32"],
      returns: "i32",
      optional: true,
    },
    posix_spawnattr_init: { args: ["pointer"], returns: "i32" },
    posix_spawnattr_destroy: { args: ["pointer"], returns: "i32" },
    posix_spawnattr_setflags: { args: ["pointer", "i16"], returns: "i32" }, // (attr*, short flags)
    posix_spawnattr_setpgroup: { args: ["pointer", "i32"], returns: "i32" }, // (attr*, pid_t)
    posix_spawnattr_setsigmask: { args: ["pointer", "buffer"], returns: "i32" }, // (attr*, const sigset_t*)
    posix_spawnattr_setsigdefault: { args: ["pointer", "buffer"], returns: "i32" },
    // --- end sockets, pipes, processes -----------------------------------------------
  } as const,
);
