// NIP-11 relay information document, served over HTTP at the relay URL to requests that
// accept application/nostr+json. The limitation block is the running configuration.
import type { Config } from '../../core/config.ts';
import type { Policy } from '../policy.ts';

/** NIPs this relay implements, each with its module or handler in relay/. */
export const supportedNips = [1, 9, 11, 13, 40, 42, 45, 50, 62, 70, 77, 86];

export function relayInformation(config: Config, policy: Policy): Record<string, unknown> {
  const c = config;
  return {
    name: policy.setting('name') ?? c.RELAY_NAME,
    description: policy.setting('description') ?? c.RELAY_DESCRIPTION,
    ...(policy.setting('icon') ?? c.RELAY_ICON ? { icon: policy.setting('icon') ?? c.RELAY_ICON } : {}),
    ...(c.RELAY_PUBKEY ? { pubkey: c.RELAY_PUBKEY.toLowerCase() } : {}),
    ...(c.RELAY_CONTACT ? { contact: c.RELAY_CONTACT } : {}),
    supported_nips: supportedNips,
    version: '0.1.0',
    limitation: {
      max_message_length: c.RELAY_MAX_MESSAGE_BYTES,
      max_subscriptions: c.RELAY_MAX_SUBSCRIPTIONS,
      max_filters: c.RELAY_MAX_FILTERS,
      max_limit: c.RELAY_MAX_LIMIT,
      default_limit: c.RELAY_MAX_LIMIT,
      max_subid_length: c.RELAY_MAX_SUBID_LENGTH,
      max_event_tags: c.RELAY_MAX_TAGS,
      max_content_length: c.RELAY_MAX_CONTENT_LENGTH,
      min_pow_difficulty: c.RELAY_MIN_POW,
      auth_required: c.RELAY_AUTH_WRITE,
      payment_required: false,
      restricted_writes: c.RELAY_AUTH_WRITE || c.RELAY_PUBKEY_ALLOW.length > 0 || c.RELAY_KIND_ALLOW.length > 0
        || policy.list('allow_pubkey').size > 0 || policy.list('allow_kind').size > 0 || Boolean(c.RELAY_WRITE_POLICY),
      ...(c.RELAY_CREATED_AT_PAST > 0 ? { created_at_lower_limit: c.RELAY_CREATED_AT_PAST } : {}),
      created_at_upper_limit: c.RELAY_CREATED_AT_FUTURE,
    },
  };
}
