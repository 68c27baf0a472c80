/**
 * The CRC-32 of Ogg pages (RFC 3533): polynomial 0x04c11db7, not bit-reflected, initial
 * value 0 and no final XOR. This is not the zlib/PNG CRC, which is reflected.
 */

const POLYNOMIAL = 0x04c11db7;

const TABLE: Uint32Array = (() => {
  const table = new Uint32Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte << 24;
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 0x80000000 ? (crc << 1) ^ POLYNOMIAL : crc << 1;
    }
    table[byte] = crc >>> 0;
  }
  return table;
})();

/** Continue `crc` over `bytes` (start with 0). */
export function oggCrc32(bytes: Uint8Array, crc = 0): number {
  let value = crc >>> 0;
  for (const byte of bytes) {
    value = ((value << 8) ^ (TABLE[((value >>> 24) ^ byte) & 0xff] as number)) >>> 0;
  }
  return value;
}
