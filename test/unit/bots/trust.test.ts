import { describe, expect, it } from 'vitest';
import { ownRelayIfUntampered } from '../../../bots/role.ts';

describe('which relay the bots take events from unverified', () => {
  it('trusts our own relay over TLS or on this machine', () => {
    for (const url of ['wss://relay.example.com', 'ws://127.0.0.1:7777', 'ws://localhost:7777/', 'ws://[::1]:7777']) {
      expect(ownRelayIfUntampered(url), url).toEqual([url]);
    }
  });

  it('verifies everything when the link could be tampered with', () => {
    for (const url of ['ws://relay.example.com', 'ws://10.0.0.5:7777', 'ws://127.0.0.1.evil.com:7777', 'ws://localhost.evil.com']) {
      expect(ownRelayIfUntampered(url), url).toEqual([]);
    }
  });
});
