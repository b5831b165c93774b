// The master key wrapped by an AES key that lives in an HSM (PKCS#11, through pkcs11js). The
// wrapping key is generated inside the token, sensitive and not extractable, so the wrapped
// master key on disk, with a copy of the database, opens nothing without the token and its PIN.
import { createRequire } from 'node:module';
import type * as Pkcs11 from 'pkcs11js';
import { CodedError } from './errors.ts';

export class HsmError extends CodedError<'hsm'> {
  override name = 'HsmError';
  constructor(message: string) {
    super('hsm', message);
  }
}

export interface HsmSettings {
  /** The vendor's PKCS#11 library (e.g. libsofthsm2.so). */
  module: string;
  /** Label of the token that holds the wrapping key. */
  token: string;
  pin: string;
  /** Label of the wrapping key on the token. */
  keyLabel: string;
}

// Loaded on first use: only operators who choose pkcs11 need the native addon.
const load = () => createRequire(import.meta.url)('pkcs11js') as typeof Pkcs11;

/**
 * One logged-in session on the token, for the length of `use`. Every failure becomes an
 * HsmError that says what to check; the PIN never appears in one.
 */
export function withHsm<T>(settings: HsmSettings, use: (hsm: Hsm) => T): T {
  const p11 = load();
  const lib = new p11.PKCS11();
  try {
    lib.load(settings.module);
  } catch (err) {
    throw new HsmError(`cannot load the PKCS#11 library ${settings.module} (PKCS11_MODULE): ${(err as Error).message}`);
  }
  try {
    lib.C_Initialize();
    const slot = lib.C_GetSlotList(true).find((s) => lib.C_GetTokenInfo(s).label.trim() === settings.token);
    if (!slot) {
      const labels = lib.C_GetSlotList(true).map((s) => lib.C_GetTokenInfo(s).label.trim()).filter(Boolean);
      throw new HsmError(`no token labelled "${settings.token}" (PKCS11_TOKEN) in ${settings.module}; ` +
        (labels.length ? `tokens present: ${labels.map((l) => `"${l}"`).join(', ')}` : 'no initialised token is present') +
        ' (is the HSM connected, and SOFTHSM2_CONF or the vendor\'s configuration pointing at it?)');
    }
    const session = lib.C_OpenSession(slot, p11.CKF_SERIAL_SESSION | p11.CKF_RW_SESSION);
    try {
      lib.C_Login(session, p11.CKU_USER, settings.pin);
    } catch (err) {
      throw new HsmError(loginFailure(p11, err, settings.token));
    }
    try {
      return use(new Hsm(p11, lib, session, settings.keyLabel));
    } finally {
      lib.C_Logout(session);
      lib.C_CloseSession(session);
    }
  } catch (err) {
    if (err instanceof HsmError) throw err;
    throw new HsmError(`PKCS#11 call failed on token "${settings.token}": ${(err as Error).message}`);
  } finally {
    try {
      lib.C_Finalize();
    } catch { /* not initialised */ }
    lib.close();
  }
}

function loginFailure(p11: typeof Pkcs11, err: unknown, token: string): string {
  const code = (err as { code?: number }).code;
  if (code === p11.CKR_PIN_INCORRECT) return `wrong PIN for token "${token}" (PKCS11_PIN); the token locks after too many wrong tries`;
  if (code === p11.CKR_PIN_LOCKED) return `the user PIN of token "${token}" is locked; the security officer must reset it`;
  if (code === p11.CKR_PIN_LEN_RANGE) return `PKCS11_PIN has a length token "${token}" does not accept`;
  return `cannot log in to token "${token}": ${(err as Error).message}`;
}

// RFC 3394 AES key wrap: deterministic and integrity-checked, so a wrong wrapping key is refused.
const WRAP = (p11: typeof Pkcs11): Pkcs11.Mechanism => ({ mechanism: p11.CKM_AES_KEY_WRAP });

export class Hsm {
  readonly #p11: typeof Pkcs11;
  readonly #lib: Pkcs11.PKCS11;
  readonly #session: Pkcs11.Handle;
  readonly keyLabel: string;

  constructor(p11: typeof Pkcs11, lib: Pkcs11.PKCS11, session: Pkcs11.Handle, keyLabel: string) {
    this.#p11 = p11;
    this.#lib = lib;
    this.#session = session;
    this.keyLabel = keyLabel;
  }

  #find(label: string): Pkcs11.Handle | null {
    const p11 = this.#p11;
    this.#lib.C_FindObjectsInit(this.#session, [
      { type: p11.CKA_CLASS, value: p11.CKO_SECRET_KEY },
      { type: p11.CKA_TOKEN, value: true },
      { type: p11.CKA_LABEL, value: label },
    ]);
    try {
      return this.#lib.C_FindObjects(this.#session);
    } finally {
      this.#lib.C_FindObjectsFinal(this.#session);
    }
  }

  #wrappingKey(label: string): Pkcs11.Handle {
    const key = this.#find(label);
    if (!key) throw new HsmError(`no wrapping key labelled "${label}" (PKCS11_KEY_LABEL) on the token; create it with \`flash keys wrap\``);
    return key;
  }

  hasWrappingKey(label = this.keyLabel): boolean {
    return this.#find(label) !== null;
  }

  /** A new AES-256 wrapping key generated in the token: it can wrap and unwrap, never be read out. */
  createWrappingKey(label = this.keyLabel): void {
    if (this.hasWrappingKey(label)) throw new HsmError(`the token already holds a key labelled "${label}"`);
    const p11 = this.#p11;
    this.#lib.C_GenerateKey(this.#session, { mechanism: p11.CKM_AES_KEY_GEN }, [
      { type: p11.CKA_CLASS, value: p11.CKO_SECRET_KEY },
      { type: p11.CKA_KEY_TYPE, value: p11.CKK_AES },
      { type: p11.CKA_VALUE_LEN, value: 32 },
      { type: p11.CKA_LABEL, value: label },
      { type: p11.CKA_TOKEN, value: true },
      { type: p11.CKA_PRIVATE, value: true },
      { type: p11.CKA_SENSITIVE, value: true },
      { type: p11.CKA_EXTRACTABLE, value: false },
      { type: p11.CKA_WRAP, value: true },
      { type: p11.CKA_UNWRAP, value: true },
      { type: p11.CKA_ENCRYPT, value: false },
      { type: p11.CKA_DECRYPT, value: false },
    ]);
  }

  /** `key` wrapped under the token's key `label`. */
  wrap(key: Uint8Array, label = this.keyLabel): Buffer {
    const p11 = this.#p11;
    const wrapping = this.#wrappingKey(label);
    // A session object (gone when the session closes) that exists only to be wrapped.
    const object = this.#lib.C_CreateObject(this.#session, [
      { type: p11.CKA_CLASS, value: p11.CKO_SECRET_KEY },
      { type: p11.CKA_KEY_TYPE, value: p11.CKK_GENERIC_SECRET },
      { type: p11.CKA_TOKEN, value: false },
      { type: p11.CKA_EXTRACTABLE, value: true },
      { type: p11.CKA_SENSITIVE, value: false },
      { type: p11.CKA_VALUE, value: Buffer.from(key) },
    ]);
    try {
      return this.#lib.C_WrapKey(this.#session, WRAP(p11), wrapping, object, Buffer.alloc(key.length + 16));
    } finally {
      this.#lib.C_DestroyObject(this.#session, object);
    }
  }

  unwrap(wrapped: Uint8Array, label = this.keyLabel): Uint8Array {
    const p11 = this.#p11;
    const wrapping = this.#wrappingKey(label);
    let object: Pkcs11.Handle;
    try {
      object = this.#lib.C_UnwrapKey(this.#session, WRAP(p11), wrapping, Buffer.from(wrapped), [
        { type: p11.CKA_CLASS, value: p11.CKO_SECRET_KEY },
        { type: p11.CKA_KEY_TYPE, value: p11.CKK_GENERIC_SECRET },
        { type: p11.CKA_TOKEN, value: false },
        { type: p11.CKA_EXTRACTABLE, value: true },
        { type: p11.CKA_SENSITIVE, value: false },
      ]);
    } catch (err) {
      throw new HsmError(`the wrapped master key does not unwrap under the token's key "${label}" ` +
        `(wrapped by another key or token, or altered): ${(err as Error).message}`);
    }
    try {
      const [attr] = this.#lib.C_GetAttributeValue(this.#session, object, [{ type: p11.CKA_VALUE }]);
      return new Uint8Array(attr!.value as Buffer);
    } finally {
      this.#lib.C_DestroyObject(this.#session, object);
    }
  }
}
