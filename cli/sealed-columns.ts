// Every table column outside `secrets` that holds values sealed with the master key, so that
// `flash secrets rotate` re-seals them all. A feature that seals a new column adds it here.
import { serviceSecrets } from '../bots/nwc/connections.ts';
import { businessSigningKeys } from '../core/business/business.ts';
import { cardKeysColumn } from '../core/cards/cards.ts';
import { linkSecrets } from '../core/btcpay/links.ts';
import { zapSignerKeys } from '../core/zaps/user.ts';
import type { SealedColumn } from '../core/secrets.ts';

export const sealedColumns: SealedColumn[] = [serviceSecrets, zapSignerKeys, businessSigningKeys, cardKeysColumn, ...linkSecrets];
