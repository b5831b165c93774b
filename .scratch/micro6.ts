import { createCipheriv, createHmac, randomBytes, hkdfSync } from 'node:crypto';
function bench(name: string, n: number, f: () => void) { for (let i = 0; i < 50; i++) f(); const c = process.cpuUsage(); for (let i = 0; i < n; i++) f(); const d = process.cpuUsage(c); console.log(name.padEnd(28), ((d.user + d.system) / n).toFixed(1), 'us cpu'); }
const k = randomBytes(32), iv = randomBytes(16), d = randomBytes(1024);
bench('createHmac+digest', 5000, () => createHmac('sha256', k).update(d).digest());
bench('createCipheriv chacha', 5000, () => createCipheriv('chacha20', k, iv).update(d));
bench('randomBytes(32)', 5000, () => randomBytes(32));
bench('Buffer.concat', 5000, () => Buffer.concat([d, d]));
bench('toString base64', 5000, () => d.toString('base64'));
bench('hkdfSync', 5000, () => hkdfSync('sha256', k, Buffer.alloc(0), iv, 76));
