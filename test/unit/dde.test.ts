import { describe, expect, it } from "vitest";
import {
  CF_TEXT,
  CF_UNICODETEXT,
  checkDdeFormat,
  checkDdeName,
  DdeDisconnectedError,
  DdeRefusedError,
  decodeDdeData,
  encodeDdeData,
} from "../../lib/_dde_common.ts";
import { ClosedError } from "../../lib/errors.ts";

const utf8Codec = {
  encodeAnsi: (text: string) => new TextEncoder().encode(text),
  decodeAnsi: (bytes: Uint8Array) => new TextDecoder().decode(bytes),
};
const unicode = { id: CF_UNICODETEXT, name: "CF_UNICODETEXT" };
const ansi = { id: CF_TEXT, name: "CF_TEXT" };
const custom = { id: 0xc000, name: "application/x-ipckit" };

describe("DDE data in formats", () => {
  it("encodes CF_UNICODETEXT as UTF-16LE with a NUL and reads it back", () => {
    const bytes = encodeDdeData("tëst-✓-𝄞", unicode, utf8Codec, "poke");
    expect(bytes.length).toBe("tëst-✓-𝄞".length * 2 + 2);
    expect([...bytes.subarray(0, 4)]).toEqual([0x74, 0, 0xeb, 0]);
    expect([...bytes.subarray(-2)]).toEqual([0, 0]);
    expect(decodeDdeData(bytes, unicode, utf8Codec)).toBe("tëst-✓-𝄞");
  });

  it("encodes CF_TEXT with the backend's codec and a NUL, and stops reading at the NUL", () => {
    const bytes = encodeDdeData("héllo", ansi, utf8Codec, "poke");
    expect([...bytes]).toEqual([...new TextEncoder().encode("héllo"), 0]);
    expect(decodeDdeData(new Uint8Array([104, 105, 0, 120]), ansi, utf8Codec)).toBe("hi");
  });

  it("carries bytes unchanged and strings as UTF-8 in registered formats", () => {
    const data = new Uint8Array([0, 1, 2, 255]);
    const encoded = encodeDdeData(data, custom, utf8Codec, "poke");
    expect([...encoded]).toEqual([0, 1, 2, 255]);
    expect(encoded).not.toBe(data);
    expect(decodeDdeData(encoded, custom, utf8Codec)).toBe(encoded);
    expect([...encodeDdeData("é", custom, utf8Codec, "poke")]).toEqual([0xc3, 0xa9]);
  });

  it("refuses text with a NUL and data that is neither text nor bytes", () => {
    expect(() => encodeDdeData("a\0b", unicode, utf8Codec, "poke item 'x'")).toThrow(
      new TypeError(
        "Cannot poke item 'x': the text contains a NUL character, which ends CF_UNICODETEXT text",
      ),
    );
    expect(() => encodeDdeData(42, unicode, utf8Codec, "poke item 'x'")).toThrow(
      new TypeError(
        "Cannot poke item 'x': data must be a string or bytes (Uint8Array, ArrayBuffer), not number",
      ),
    );
  });
});

describe("DDE names and formats", () => {
  it("refuses an empty topic, a NUL and over-long names with TypeError", () => {
    expect(() => checkDdeName("", "topic", "connect to DDE service 'q'")).toThrow(
      new TypeError("Cannot connect to DDE service 'q': the topic name is empty"),
    );
    expect(() => checkDdeName("a\0", "item", "request")).toThrow(TypeError);
    expect(() => checkDdeName("x".repeat(256), "service", "serve DDE")).toThrow(TypeError);
    expect(() => checkDdeName(7, "service", "serve DDE")).toThrow(
      new TypeError("Cannot serve DDE: the service name must be a string, not number"),
    );
    expect(checkDdeName("x".repeat(255), "service", "serve DDE")).toHaveLength(255);
  });

  it("defaults to CF_UNICODETEXT and takes registered names", () => {
    expect(checkDdeFormat(undefined, "request")).toBe("CF_UNICODETEXT");
    expect(checkDdeFormat("XlTable", "request")).toBe("XlTable");
    expect(() => checkDdeFormat("", "request")).toThrow(TypeError);
    expect(() => checkDdeFormat(1, "request")).toThrow(TypeError);
  });
});

describe("DDE errors", () => {
  it("name the transaction, the conversation and whether the server was busy", () => {
    expect(new DdeRefusedError("request", "quotes", "prices", "XYZ", false).message).toBe(
      "Cannot request item 'XYZ' of 'quotes|prices': the server refused it",
    );
    expect(new DdeRefusedError("execute", "lab", "ctl", "[go]", true).message).toBe(
      "Cannot execute command '[go]' in 'lab|ctl': the server is busy (DDE_FBUSY)",
    );
    // A backend's note says what else a refusal may mean there (Wine's full DDE memory table).
    expect(new DdeRefusedError("request", "q", "p", "k0", false, "also this").message).toBe(
      "Cannot request item 'k0' of 'q|p': the server refused it (also this)",
    );
    const gone = new DdeDisconnectedError("quotes", "prices");
    expect(gone).toBeInstanceOf(ClosedError);
    expect(gone.name).toBe("DdeDisconnectedError");
  });
});
