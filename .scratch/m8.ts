import { createCipheriv, randomBytes } from 'node:crypto';
import { chacha20 } from '@noble/ciphers/chacha.js';
function bench(name: string, n: number, f: () => void) { for (let i = 0; i < 50; i++) f(); const c = process.cpuUsage(); for (let i = 0; i < n; i++) f(); const d = process.cpuUsage(c); console.log(name.padEnd(28), ((d.user + d.system) / n).toFixed(2), 'us cpu'); }
const k = randomBytes(32), iv = randomBytes(16), n12 = randomBytes(12);
for (const len of [64, 512, 1500]) {
  const d = randomBytes(len);
  bench('node chacha ' + len, 10000, () => createCipheriv('chacha20', k, iv).update(d));
  bench('noble chacha ' + len, 10000, () => chacha20(k, n12, d));
}
