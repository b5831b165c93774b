// Every table column outside `secrets` that holds values sealed with the master key, so that
// `flash secrets rotate` re-seals them all. A feature that seals a new column adds it here.
import { businessSigningKeys } from '../bots/zaps/business.ts';
import { zapSignerKeys } from '../bots/zaps/user.ts';
import type { SealedColumn } from '../core/secrets.ts';

export const sealedColumns: SealedColumn[] = [zapSignerKeys, businessSigningKeys];
