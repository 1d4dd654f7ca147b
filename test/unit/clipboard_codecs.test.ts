// The clipboard's pure parts: CF_HTML's offset header, DIB ↔ BMP, and the checks on what a
// caller writes.
import { describe, expect, it } from "vitest";
import {
  bmpToDib,
  checkClipboardData,
  checkText,
  decodeCfHtml,
  dibPixelOffset,
  dibToBmp,
  encodeCfHtml,
} from "../../lib/_clipboard_common.ts";

const utf8 = new TextEncoder();
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe("CF_HTML", () => {
  it("encodes byte offsets that point at the fragment and the document in the UTF-8 text", () => {
    const fragment = "<b>tëst-✓-𝄞</b>";
    const bytes = encodeCfHtml(fragment);
    const text = decode(bytes);
    const field = (name: string) => Number(new RegExp(`${name}:(\\d{10})`).exec(text)![1]);
    expect(text.startsWith("Version:0.9\r\nStartHTML:")).toBe(true);
    expect(decode(bytes.subarray(field("StartFragment"), field("EndFragment")))).toBe(fragment);
    expect(decode(bytes.subarray(field("StartHTML"), field("EndHTML")))).toBe(
      `<html><body>\r\n<!--StartFragment-->${fragment}<!--EndFragment-->\r\n</body></html>`,
    );
    expect(field("EndHTML")).toBe(bytes.length);
  });

  it("decodes what it encodes, for any Unicode fragment, with or without a trailing NUL", () => {
    for (const fragment of ["", "plain", "<p>tëst <b>✓</b> 𝄞</p>", "a\r\nb"]) {
      const bytes = encodeCfHtml(fragment);
      expect(decodeCfHtml(bytes)).toBe(fragment);
      expect(decodeCfHtml(Uint8Array.from([...bytes, 0, 0]))).toBe(fragment);
    }
  });

  it("decodes an envelope written by another program (no fragment markers: the HTML range)", () => {
    const html = "<html><body>hi</body></html>";
    const head = (start: number, end: number) =>
      `Version:1.0\r\nStartHTML:${String(start).padStart(8, "0")}\r\nEndHTML:${
        String(end).padStart(8, "0")
      }\r\n`;
    const length = head(0, 0).length;
    const bytes = utf8.encode(head(length, length + html.length) + html);
    expect(decodeCfHtml(bytes)).toBe(html);
  });

  it("falls back to the text after the header when the offsets are -1 or out of range", () => {
    expect(decodeCfHtml(utf8.encode("Version:0.9\r\nStartHTML:-1\r\nEndHTML:-1\r\n<i>x</i>")))
      .toBe("<i>x</i>");
    expect(
      decodeCfHtml(utf8.encode("Version:0.9\r\nStartFragment:5\r\nEndFragment:999\r\n<i>x</i>")),
    ).toBe("<i>x</i>");
  });
});

describe("DIB and BMP", () => {
  const dib = (headerSize: number, bits: number, extra: Record<number, number> = {}) => {
    const bytes = new Uint8Array(headerSize + 1024 + 16);
    const view = new DataView(bytes.buffer);
    view.setUint32(0, headerSize, true);
    if (headerSize === 12) view.setUint16(10, bits, true);
    else view.setUint16(14, bits, true);
    for (const [at, value] of Object.entries(extra)) view.setUint32(Number(at), value, true);
    return bytes;
  };

  it("finds the pixels after the header, the BI_BITFIELDS masks and the colour table", () => {
    expect(dibPixelOffset(dib(40, 32))).toBe(40);
    expect(dibPixelOffset(dib(40, 8))).toBe(40 + 256 * 4);
    expect(dibPixelOffset(dib(40, 8, { 32: 16 }))).toBe(40 + 16 * 4); // biClrUsed
    expect(dibPixelOffset(dib(40, 16, { 16: 3 }))).toBe(40 + 12); // BI_BITFIELDS
    expect(dibPixelOffset(dib(124, 32, { 16: 3 }))).toBe(124); // V5: masks are in the header
    expect(dibPixelOffset(dib(12, 4))).toBe(12 + 16 * 3); // core header: RGBTRIPLEs
  });

  it("adds and removes the 14-byte BMP file header, with the file size and pixel offset", () => {
    const packed = dib(40, 8);
    const bmp = dibToBmp(packed);
    const view = new DataView(bmp.buffer);
    expect(decode(bmp.subarray(0, 2))).toBe("BM");
    expect(view.getUint32(2, true)).toBe(bmp.length);
    expect(view.getUint32(10, true)).toBe(14 + 40 + 1024);
    expect(bmpToDib(bmp)).toEqual(packed);
  });

  it("refuses data that is not a DIB or a BMP", () => {
    expect(() => dibPixelOffset(new Uint8Array(8))).toThrow(TypeError);
    expect(() => dibPixelOffset(dib(41, 32))).toThrow(TypeError);
    expect(() => bmpToDib(new Uint8Array(40))).toThrow(TypeError);
  });
});

describe("what a write may contain", () => {
  const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10, 1]);

  it("normalises every format to text or a copy of the bytes", () => {
    const source = new Uint8Array([1, 2, 3]);
    const payload = checkClipboardData(
      { text: "t", html: "<b>h</b>", png: png.buffer, custom: { "x-app": source, "x-str": "é" } },
      ["PNG"],
    );
    expect(payload.text).toBe("t");
    expect(payload.html).toBe("<b>h</b>");
    expect(payload.png).toEqual(png);
    expect(payload.custom.get("x-app")).toEqual(source);
    expect(payload.custom.get("x-app")).not.toBe(source);
    expect(payload.custom.get("x-str")).toEqual(utf8.encode("é"));
  });

  it("throws TypeError, naming the problem, for wrong shapes and unknown or reserved formats", () => {
    const cases: [unknown, RegExp][] = [
      [null, /pass an object of formats/],
      [{}, /no format given \(use Clipboard\.clear\(\) to empty it\)/],
      [{ jpeg: png }, /format 'jpeg': the formats are text, html, png, dib and custom/],
      [{ text: 1 }, /text: it must be a string, not number/],
      [{ html: "a\0b" }, /html: it contains a NUL character/],
      [{ png: new Uint8Array(9) }, /PNG's signature/],
      [{ dib: png }, /not start with a BITMAPINFOHEADER/],
      [{ custom: [] }, /object of name → bytes/],
      [{ custom: { "": png } }, /1 to 255 characters/],
      [{ custom: { html: png } }, /'html': it is a standard format; use the 'html' field/],
      [{ custom: { PNG: png } }, /'PNG': it is a standard format; use the matching standard field/],
      [{ custom: { "x-app": 42 } }, /must be bytes .* not number/],
    ];
    for (const [data, message] of cases) {
      expect(() => checkClipboardData(data, ["PNG"])).toThrow(TypeError);
      expect(() => checkClipboardData(data, ["PNG"])).toThrow(message);
    }
  });

  it("accepts any well-formed Unicode text and refuses lone surrogates", () => {
    expect(checkText("tëst-✓-𝄞", "text")).toBe("tëst-✓-𝄞");
    expect(checkText("", "text")).toBe("");
    expect(() => checkText("\ud834", "text")).toThrow(/lone surrogate/);
    expect(() => checkText("a\udd1eb", "text")).toThrow(/lone surrogate/);
  });
});
