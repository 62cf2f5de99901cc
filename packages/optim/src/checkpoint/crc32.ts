// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), the checksum of zip and PNG: it detects
// every single-bit error and every burst up to 32 bits, which is what a flipped or truncated
// byte in a checkpoint looks like. Not a defence against deliberate tampering.
const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** Continues a CRC-32 over `bytes` (start with `crc = 0`). */
export function crc32(bytes: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < bytes.length; i++)
    c = (TABLE[(c ^ (bytes[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return ~c >>> 0;
}
