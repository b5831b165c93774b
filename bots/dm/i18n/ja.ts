// Japanese. Typed by the English catalog: a missing or extra key does not compile.
import { formatAmount } from '../amount.ts';
import type { BudgetPeriod } from '../commands.ts';
import { lines, when, type Catalog, type FailureReason } from './en.ts';

/** Amounts in the Japanese number format. */
const amt = (msat: bigint) => formatAmount(msat, 'ja');

const reasons: Record<FailureReason, string> = {
  no_route: '送り先までの経路がありません', timeout: '時間切れになりました', incorrect_payment_details: '受取側が拒否しました（不明または支払い済みの請求書）',
  insufficient_balance: '経路上の流動性が足りません', canceled: 'キャンセルされました', error: 'ネットワークがエラーを返しました',
};
const period: Record<BudgetPeriod, string> = { daily: '1日あたり', weekly: '1週間あたり', monthly: '1か月あたり', yearly: '1年あたり', never: '合計' };

export const ja: Catalog = {
  'help': () => `こんにちは！DMで使えるビットコイン・ライトニングウォレットです。コマンド:
• balance（残高）— 残高を表示
• invoice <金額> [メモ] — 受け取り用のライトニング請求書を作成
• pay <請求書> [金額] — ライトニング請求書を支払う
• send <金額> <npub | 名前@ドメイン> [メモ] — sats を送る
• zap <npub | note | nevent | naddr> <金額> [コメント]
• history [n]（履歴）— 最近の支払い
• connect [アプリ] [予算] [期間] — アプリを接続（Nostr Wallet Connect）
• connections, revoke <id> — 接続中のアプリ
• username <名前> — あなたのライトニングアドレス
• card（カード）— タップで払える NFC カード（card new, on, off, limit, wipe）
• ecash <金額> — 残高から Cashu トークンを作成（トークンを貼り付けると受け取り）
• nutzap — nutzap（NIP-61）を残高で受け取る
• address — オンチェーン入金用のビットコインアドレス
• withdraw <金額> <アドレス> [fast|normal|slow] — オンチェーン出金
• lang <en | es | ja>（言語）— 表示言語
金額の例: 1000, 1k, 21 sats, 0.0001 btc。詳しくは「help <コマンド>」と送ってください。`,
  'help.balance': () => 'balance — 残高と、処理中の支払いのために確保されている額を表示します。\n例: balance',
  'help.invoice': () => 'invoice <金額> [メモ] — ライトニング請求書を作成します。支払われると残高に入ります。\n例: invoice 1000 · invoice 21 sats コーヒー · invoice 0.0001 btc',
  'help.pay': () => 'pay <請求書> [金額] — ライトニング請求書を支払います。金額は請求書に金額がない場合のみ指定してください。高額の支払いは「yes」の返信を待ちます。\n例: pay lnbc10u1p…',
  'help.send': () => 'send <金額> <npub | 名前@ドメイン> [メモ] — Nostr ユーザーやライトニングアドレスに sats を送ります。このサービスの利用者には即時に届きます。高額の場合は「yes」の返信を待ちます。\n例: send 1000 npub1… · send 5k alice@example.com ありがとう',
  'help.history': () => 'history [n] — 最近の n 件の支払い（既定 10 件、最大 100 件）。\n例: history 20',
  'help.connect': () => 'connect [アプリ] [予算] [daily|weekly|monthly|yearly|never] — Damus や Amethyst などのアプリを Nostr Wallet Connect で接続します。期間ごとに予算まで使えます。\n例: connect Damus · connect Amethyst 10k sats weekly',
  'help.connections': () => 'connections — 接続中のアプリと予算、id を一覧表示します。\n例: connections',
  'help.revoke': () => 'revoke <id> — アプリの接続をすぐに解除します（id は「connections」で確認）。\n例: revoke c1a2b3',
  'help.lang': () => 'lang <en|es|ja> — 返信の言語を選びます。\n例: lang ja',
  'help.confirm': () => 'yes / no（はい / いいえ）— 確認中の支払いを実行またはキャンセルします。',
  'help.username': () => 'username <名前> — ライトニングアドレスの名前を決めます（3〜32 文字の英小文字・数字・. _ -）。\n例: username alice',
  'help.zap': () => 'zap <npub | note | nevent | naddr> <金額> [コメント] — プロフィールや投稿に zap します（NIP-57）。\n例: zap note1… 21 いい投稿',
  'help.card': () => 'card — あなたの Flash Card（残高から支払う Boltcard NFC カード。ライトニング対応のレジで使えます）。\ncard new [名前] — 新しいカードと一度だけ使える書き込みリンク · card on / card off · card limit tap <金額> · card limit day <金額> · card wipe — 廃止してリセットデータを受け取る。\n例: card limit tap 20k',
  'help.ecash': () => 'ecash <金額> — 残高の一部をこのサービスのミントの Cashu eCash トークンにします（どの Cashu ウォレットでも使えます）。トークン（cashuA…/cashuB…）を貼り付けると残高に戻ります。\n例: ecash 1000',
  'help.nutzap': () => 'nutzap — このミントの nutzap（NIP-61）を受け取るための鍵と、公開する kind 10019 のタグを返します。受け取った分は残高に入ります。\n例: nutzap',
  'nutzap.key': (p) => `${p.pubkey} 宛ての nutzap は残高に入ります。次のタグで kind 10019 イベントを公開してください:\n\n${p.tags}`,
  'ecash.created': (p) => `${amt(p.msat)} のトークンです。持っている人が使えます:\n\n${p.token}`,
  'ecash.pending': (p) => `${amt(p.msat)} のトークンを作成中です。少ししてから同じメッセージを送ってください。`,
  'ecash.whole-sats': () => 'eCash は sat 単位です。ミリサトシなしの金額にしてください。',
  'ecash.redeemed': (p) => `受け取りました: ${amt(p.msat)} を残高に追加しました${p.feeMsat > 0n ? `（ミント手数料 ${amt(p.feeMsat)}）` : ''}。`,
  'error.ecash.spent': () => 'そのトークンは使用済み（または使用中）です。',
  'error.ecash.foreign': () => 'そのミントのトークンはここでは受け取れません。',
  'error.ecash.too-large': (p) => `他のミントのトークンは ${amt(p.maxMsat)} まで受け取れます。`,
  'error.ecash.foreign-failed': () => 'トークンのミントが支払いませんでした。トークンはそのままです。後でもう一度お試しください。',
  'ecash.redeem-pending': () => 'トークンのミントが支払い中です。届いたらお知らせします。',
  'error.ecash.invalid': () => 'このミントの有効なトークンではありません。',

  'balance': (p) => `残高: ${amt(p.msat)}${p.pendingMsat ? `（うち ${amt(p.pendingMsat)} は処理中の支払いのため確保中）` : ''}`,
  'invoice.created': (p) => `${amt(p.msat)} の請求書です${p.memo ? `（${p.memo}）` : ''}:\n\n${p.bolt11}`,
  'invoice.paid': (p) => `⚡ ${amt(p.msat)} を受け取りました${p.memo ? `（${p.memo}）` : ''}。`,
  'payment.sent': (p) => `✅ ${amt(p.msat)} を支払いました（手数料 ${amt(p.feeMsat)}）。${p.preimage ? `\nプリイメージ: ${p.preimage}` : ''}`,
  'payment.failed': (p) => `❌ 支払いに失敗しました${p.reason ? `: ${reasons[p.reason]}` : ''}。残高は減っていません。`,
  'payment.pending': () => '⏳ 支払いを処理中です。完了または失敗するまで金額は確保されます。結果はお知らせします。',
  'send.sent': (p) => `✅ ${p.to} に ${amt(p.msat)} を送りました${p.feeMsat ? `（手数料 ${amt(p.feeMsat)}）` : ''}。`,
  'send.not-found': (p) => `${p.address} は見つかりません。Nostr アドレス（NIP-05）でも、届くライトニングアドレスでもありません。`,
  'send.lnurl-failed': (p) => `${p.address} から有効な請求書を受け取れませんでした。何も送られていません。`,
  'send.lnurl-range': (p) => `${p.address} が受け付ける金額は ${amt(p.minMsat)} から ${amt(p.maxMsat)} までです。`,
  'send.received': (p) => `⚡ ${p.from} から ${amt(p.msat)} が届きました${p.memo ? `:「${p.memo}」` : ''}。`,
  'send.welcome': () => 'このウォレットはあなたの Nostr 鍵に結び付いていて、受け取った分を保管しています。「残高」で確認、「ヘルプ」で全コマンド、「支払い <請求書>」で Lightning に送れます。',
  'send.anonymous': () => '匿名のユーザー',
  'zap.sent': (p) => `⚡ ${p.target} に ${amt(p.msat)} を zap しました。`,
  'zap.not-found': (p) => `リレーで ${p.target} が見つからないため、zap の送り先が分かりません。`,

  'confirm.pay': (p) => `${amt(p.msat)} を支払いますか？${p.memo ? `（${p.memo}）` : ''}手数料は最大 ${amt(p.maxFeeMsat)} です。yes か no で返信してください。`,
  'confirm.send': (p) => `${p.to} に ${amt(p.msat)} を送りますか？yes か no で返信してください。`,
  'confirm.zap': (p) => `${p.target} に ${amt(p.msat)} を zap しますか？yes か no で返信してください。`,
  'confirm.cancelled': () => 'キャンセルしました。何も送られていません。',
  'confirm.expired': () => '確認の期限が切れました。もう一度コマンドを送ってください。',
  'confirm.nothing': () => '確認待ちのものはありません。',

  'history.empty': () => 'まだ支払いはありません。',
  'history.list': (p) => `最近の支払い ${p.items.length} 件:\n${lines(p.items, (i) => `${when(i.at)}  ${i.direction === 'in' ? '+' : '−'}${amt(i.msat)}${i.status ? `（${i.status === 'pending' ? '処理中' : '失敗'}）` : ''}${i.memo ? `  ${i.memo}` : ''}`)}`,

  'connection.created': (p) =>
    `「${p.app}」を接続しました${p.budgetMsat ? `（予算: ${period[p.period ?? 'never']} ${amt(p.budgetMsat)}）` : '（予算の上限なし）'}。このシークレットをアプリに貼り付け、他人には見せないでください:\n\n${p.uri}`,
  'connection.list': (p) =>
    `接続中のアプリ:\n${lines(p.items, (c) => `• ${c.app}（id ${c.id}）: ${c.budgetMsat ? `${period[c.period ?? 'never']} ${amt(c.budgetMsat)} のうち ${amt(c.usedMsat)} 使用` : `${amt(c.usedMsat)} 使用、上限なし`}`)}\n解除: revoke <id>`,
  'connection.none': () => '接続中のアプリはありません。接続するには: connect <アプリ>',
  'connection.revoked': (p) => `${p.id} の接続を解除しました。もう支払いはできません。`,
  'connection.not-found': (p) => `id ${p.id} の接続は見つかりません。確認: connections`,

  'card.list': (p) =>
    `あなたのカード（新しい順。コマンドは先頭のカードに働きます）:\n${lines(p.items, (c) => `• ${c.name}: ${c.enabled ? 'オン' : 'オフ'}、1回 ${amt(c.tapMsat)} まで、本日 ${amt(c.spentMsat)} / ${amt(c.dayMsat)}${c.programmed ? '' : '（未書き込み）'}`)}`,
  'card.none': () => 'カードがありません。「card new」で作成できます。',
  'card.created': (p) =>
    `カード「${p.name}」の準備ができました。このリンクを Boltcard NFC Programmer アプリ（Create Bolt Card）で一度だけ開き、空の NTAG 424 カードをスマートフォンにかざしてください。リンクは他人に見せないでください:\n\n${p.url}`,
  'card.on': (p) => `カード「${p.name}」をオンにしました。再び支払えます。`,
  'card.off': (p) => `カード「${p.name}」をオフにしました。「card on」を送るまで支払いは拒否されます。`,
  'card.limit': (p) => `カード「${p.name}」の上限: ${p.which === 'tap' ? '1回' : '1日（UTC）'} ${amt(p.msat)}。`,
  'card.wiped': (p) =>
    `カード「${p.name}」を廃止しました。もう支払えません。空のカードに戻すには、このリセットデータを Boltcard NFC Programmer アプリ（Reset Bolt Card）で読み取り、カードをかざしてください:\n\n${p.data}`,
  'card.paid': (p) => `💳 カード「${p.name}」で ${amt(p.msat)} を支払いました${p.description ? `（${p.description}）` : ''}。本日の残り: ${amt(p.leftMsat)}。`,
  'card.failed': (p) => `💳 カード「${p.name}」での ${amt(p.msat)} の支払いに失敗しました。残高からは何も引かれていません。`,

  'lang.set': () => '日本語で返信します。',
  'username.set': (p) => `ユーザー名を ${p.name} にしました。${p.address} で支払いを受け取れます。`,
  'username.taken': (p) => `ユーザー名 ${p.name} は使用中です。別の名前を試してください。`,
  'username.reserved': (p) => `ユーザー名 ${p.name} は予約されています。別の名前を試してください。`,

  'rate-limited': (p) => `メッセージが多すぎます。${p.retryAfterSec} 秒後にもう一度お試しください。`,
  'unknown': (p) => `「${p.word}」は分かりません。${p.suggestion ? `「${p.suggestion}」のことですか？` : ''}コマンド一覧は「help」と送ってください。`,

  'error.empty': () => '「help」と送ると、できることを表示します。',
  'error.missing.amount': (p) => `金額を指定してください。例: ${p.command} 1000`,
  'error.missing.invoice': () => '請求書を指定してください。例: pay lnbc10u1p…',
  'error.missing.recipient': () => '送り先を npub か 名前@ドメイン で指定してください。例: send 1000 alice@example.com',
  'error.missing.id': () => '接続の id を指定してください。例: revoke c1a2b3（「connections」で確認）',
  'error.missing.lang': () => '言語を en、es、ja から選んでください。例: lang ja',
  'error.missing.name': () => '名前を指定してください。例: username alice',
  'error.missing.target': () => 'zap 先を npub、note、nevent、naddr で指定してください。例: zap npub1… 21',
  'error.amount.empty': () => '金額がありません。',
  'error.amount.malformed': (p) => `「${p.input}」は金額ではありません。例: 1000, 1k, 21 sats, 0.0001 btc`,
  'error.amount.negative': () => '金額は正の数にしてください。',
  'error.amount.zero': () => '金額は 0 より大きくしてください。',
  'error.amount.fractional-msat': () => '最小単位のミリサトシより細かい金額は指定できません。',
  'error.amount.too-large': () => 'その金額はビットコインの総発行量を超えています。',
  'error.invoice': () => 'ライトニング請求書ではありません（lnbc… で始まるはずです）。',
  'error.recipient': (p) => `「${p.input}」は npub、16 進の公開鍵、名前@ドメイン のいずれでもありません。`,
  'error.recipient.secret-key': () => '⚠️ それは秘密鍵（nsec）です。絶対に共有しないでください。持っている人は誰でもアカウントを操作できます。どこかに載せてしまったなら新しい鍵に移行してください。',
  'error.recipient.not-supported': (p) => `${p.to} にはまだ送金できません。オンチェーンアドレスと Cashu トークンにはまだ対応していません。`,
  'error.target': (p) => `「${p.input}」は npub、note、nevent、naddr のいずれでもありません。`,
  'error.history-limit': (p) => `1 から ${p.max} までの数を指定してください。例: history 20`,
  'error.id': (p) => `「${p.input}」は接続の id ではありません。確認: connections`,
  'error.lang': (p) => `「${p.input}」にはまだ対応していません。en、es、ja から選んでください。`,
  'error.username': (p) => `ユーザー名は ${p.min}〜${p.max} 文字で、英小文字・数字と、途中に . _ - が使えます。`,
  'error.text-too-long': (p) => `テキストが長すぎます（最大 ${p.max} 文字）。`,
  'error.insufficient-balance': (p) => `残高が足りません。手数料込みで ${amt(p.neededMsat)} 必要ですが、残高は ${amt(p.balanceMsat)} です。`,
  'error.payment.invalid_invoice': () => 'その請求書は無効です（チェックサムまたは署名が不正）。全体をもう一度コピーしてください。',
  'error.payment.wrong_network': (p) => `その請求書は ${p.network} 用です。このウォレットは ${p.ours} で動いています。`,
  'error.payment.expired': () => 'その請求書は期限切れです。新しい請求書をもらってください。',
  'error.payment.amount_required': () => 'その請求書には金額がありません。金額を付けてください。例: pay lnbc1… 1000',
  'error.payment.amount_mismatch': (p) => `その請求書の金額は ${amt(p.invoiceMsat)} です。金額を省くか、同じ金額を指定してください。`,
  'error.payment.amount_out_of_range': (p) => `ここで扱える金額は ${amt(p.maxMsat)} までです。`,
  'error.payment.already_paid': () => 'その請求書は支払い中か、すでに支払われています。',
  'error.payment.self_payment': () => 'それはあなた自身の請求書またはアカウントです。',
  'error.payment.unavailable': () => 'ライトニングノードが応答していません。何も送られていません。少し待ってからもう一度お試しください。',
  'error.payment.not_supported': () => 'その種類の請求書はこのウォレットから支払えません。',
  'error.card': () => 'カードのコマンド: card · card new [名前] · card on · card off · card limit tap <金額> · card limit day <金額> · card wipe',
  // On-chain (core/onchain/).
  'help.address': () => 'address [new] — オンチェーン入金用のビットコインアドレス（と bitcoin: リンク）。入金は承認まで保留と表示されます。"address new" で新しいアドレス。古いものも使えます。\n例: address',
  'help.withdraw': () => 'withdraw <金額> <アドレス> [fast|normal|slow] — オンチェーンで送金します。手数料を見積もり「yes」を待ちます。出金はまとめて送られ、使われなかった手数料は戻ります。\n例: withdraw 50k bc1q… fast',
  'address.created': (p) => `オンチェーン入金先:\n\n${p.address}\n\n${p.uri}\n\n入金が届いたときと使えるようになったときにお知らせします。`,
  'deposit.pending': (p) => `⏳ ${amt(p.msat)} の入金を確認しました（承認 ${p.confirmations}）。承認後に使えます。`,
  'deposit.credited': (p) => `✅ ${amt(p.msat)} の入金が承認され、残高に反映されました。`,
  'confirm.withdraw': (p) => `${p.address} に ${amt(p.msat)} を出金しますか（${p.speed}、手数料は最大 ${amt(p.feeMsat)}、残りは戻ります）？yes か no で返信してください。`,
  'withdraw.queued': () => '⏳ 出金を受け付けました。次のまとめ送金で送られます。承認まで金額と手数料は保留されます。完了したらお知らせします。',
  'error.missing.address': () => 'どのアドレスへ？ 例: withdraw 50k bc1q…',
  'error.withdraw.address': (p) => `「${p.input}」は有効なビットコインアドレスではありません（全部コピーされているか確認してください）。`,
  'error.withdraw.network': (p) => `そのアドレスは別のビットコインネットワーク用です。このウォレットは ${p.ours} で動いています。`,
  'error.withdraw.whole-sats': () => 'オンチェーンの金額は sat 単位（整数）です。',
  'error.withdraw.minimum': (p) => `オンチェーンで送るには少なすぎます: ${p.reason}。`,
  'error.payment.account_held': () => 'ネットワークで取り消された入金を運営者が確認中のため、送金は保留されています。運営者に連絡してください。',
  'error.risk.account_frozen': (p) => `アカウントは凍結されています。受け取りはできますが送金はできません${p.reason ? `（${p.reason}）` : ''}。運営者に連絡してください。`,
  'error.risk.payments_paused': () => '運営者が送金を一時停止しています。何も送られていません。後でもう一度お試しください。',
  'error.risk.payment': (p) => `1回の支払いの上限 ${amt(p.limitMsat)} を超えています。`,
  'error.risk.daily': (p) =>
    `${p.rail} の24時間の上限（${amt(p.limitMsat)}）を超えています。残りは ${amt(p.leftMsat)} です${p.resetsAt ? `。この金額は ${when(p.resetsAt)} から再び送れます` : ''}。`,
  'error.risk.balance': (p) => `受取人が保有できるのは最大 ${amt(p.limitMsat)} です。あと ${amt(p.leftMsat)} まで送れます。`,
  'error.internal': () => 'こちらで問題が発生しました。残高は安全です。少し待ってからもう一度お試しください。',
};
