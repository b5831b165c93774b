// The bench's simulated users: test/support/dm-client.ts (nostr-tools, as the end-to-end tests
// use it) with the project's own crypto instead, so that 50 users on the service's machine cost
// what real users' phones would spend elsewhere, not pure-JS elliptic-curve maths on our cores:
// signatures and ECDH through native libsecp256k1 (core/nostr/secp.ts, ecdh.ts) with NIP-04 secrets and
// NIP-44 conversation keys cached (core/nostr/shared-keys.ts), and gift wraps made and opened by
// core/nostr/nip59.ts. The relay is the service's own, which verified every event it forwards,
// so events are taken as verified as the bot's pool takes them (trustVerified); the seal inside
// a gift wrap, which proves the bot wrote the reply, is still checked.
import { EncryptedDirectMessage, PrivateDirectMessage } from 'nostr-tools/kinds';
import { AbstractRelay } from 'nostr-tools/abstract-relay';
import type { NostrEvent } from 'nostr-tools/pure';
import { nip04Decrypt, nip04Encrypt } from '../../core/nostr/nip04.ts';
import { unwrapPrivateDm } from '../../core/nostr/nip17.ts';
import { createRumor, wrapRumor } from '../../core/nostr/nip59.ts';
import { finalizeEvent, trustVerified } from '../../core/nostr/secp.ts';
import { nip04Key } from '../../core/nostr/shared-keys.ts';
import { DmClient, replyTag, type Received, type Scheme } from '../../test/support/dm-client.ts';

export class FastDmClient extends DmClient {
  static override connect(url: string): Promise<AbstractRelay> {
    return AbstractRelay.connect(url, { verifyEvent: trustVerified });
  }

  protected override encode(text: string, scheme: Scheme, at: number): { event: NostrEvent; id: string } {
    const tags = [['p', this.bot]];
    if (scheme === 'nip04') {
      const event = finalizeEvent({ kind: EncryptedDirectMessage, created_at: at, tags, content: nip04Encrypt(nip04Key(this.sk, this.bot), text) }, this.sk);
      return { event, id: event.id };
    }
    const rumor = createRumor({ kind: PrivateDirectMessage, created_at: at, tags, content: text }, this.sk);
    return { event: wrapRumor(rumor, this.sk, this.bot), id: rumor.id };
  }

  protected override decode(e: NostrEvent): Received | undefined {
    if (e.kind === EncryptedDirectMessage) {
      return { text: nip04Decrypt(nip04Key(this.sk, e.pubkey), e.content), scheme: 'nip04', replyTo: replyTag(e.tags), event: e };
    }
    const { sender, rumor } = unwrapPrivateDm(e, this.sk);
    if (sender !== this.bot) return undefined;
    return { text: rumor.content, scheme: 'nip17', replyTo: replyTag(rumor.tags), event: e };
  }
}
