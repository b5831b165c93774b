// Spanish. Typed by the English catalog: a missing or extra key does not compile.
import { formatAmount } from '../amount.ts';
import type { BudgetPeriod } from '../commands.ts';
import { lines, when, type Catalog, type FailureReason } from './en.ts';

/** Amounts in the Spanish number format. */
const amt = (msat: bigint) => formatAmount(msat, 'es');

const reasons: Record<FailureReason, string> = {
  no_route: 'no hay ruta hasta el destinatario', timeout: 'se agotó el tiempo', incorrect_payment_details: 'el destinatario lo rechazó (factura desconocida o ya pagada)',
  insufficient_balance: 'falta liquidez en el camino', canceled: 'se canceló', error: 'la red informó de un error',
};
const period: Record<BudgetPeriod, string> = { daily: 'al día', weekly: 'a la semana', monthly: 'al mes', yearly: 'al año', never: 'en total' };

export const es: Catalog = {
  'help': () => `¡Hola! Soy una cartera de Bitcoin Lightning que vive en tus mensajes directos. Comandos:
• saldo — lo que tienes
• factura <cantidad> [nota] — una factura Lightning para recibir
• pagar <factura> [cantidad] — paga una factura Lightning
• enviar <cantidad> <npub | nombre@dominio> [nota] — envía sats
• zap <npub | note | nevent | naddr> <cantidad> [comentario]
• historial [n] — tus últimos pagos
• conectar [app] [presupuesto] [periodo] — vincula una app (Nostr Wallet Connect)
• conexiones, revocar <id> — tus apps vinculadas
• usuario <nombre> — tu dirección lightning
• tarjeta — tu tarjeta NFC para pagar (tarjeta nueva, on, off, limite, borrar)
• ecash <cantidad> — un token Cashu de tu saldo; pega un token para cobrarlo
• nutzap — recibe nutzaps (NIP-61) en tu saldo
• dirección — una dirección bitcoin para depositar on-chain
• retirar <cantidad> <dirección> [fast|normal|slow] — envía on-chain
• idioma <en | es | ja> — idioma
Cantidades: 1000, 1k, 21 sats, 0.0001 btc. Escribe "ayuda <comando>" para más detalles. Los comandos en inglés también funcionan.`,
  'help.balance': () => 'saldo — muestra tu saldo y lo retenido por pagos pendientes.\nEjemplo: saldo',
  'help.invoice': () => 'factura <cantidad> [nota] — crea una factura Lightning; los sats llegan a tu saldo al pagarse.\nEjemplos: factura 1000 · factura 21 sats café · factura 0.0001 btc',
  'help.pay': () => 'pagar <factura> [cantidad] — paga una factura Lightning. Indica la cantidad solo si la factura no la tiene. Los pagos grandes esperan tu "sí".\nEjemplo: pagar lnbc10u1p…',
  'help.send': () => 'enviar <cantidad> <npub | nombre@dominio> [nota] — envía sats a un usuario de Nostr o a una dirección lightning; a un usuario de este servicio llega al instante. Las cantidades grandes esperan tu "sí".\nEjemplos: enviar 1000 npub1… · enviar 5k a alice@example.com ¡gracias!',
  'help.history': () => 'historial [n] — tus últimos n pagos (10 por defecto, 100 como máximo).\nEjemplo: historial 20',
  'help.connect': () => 'conectar [app] [presupuesto] [diario|semanal|mensual|anual|nunca] — vincula una app como Damus o Amethyst con Nostr Wallet Connect; podrá gastar hasta el presupuesto por periodo.\nEjemplos: conectar Damus · conectar Amethyst 10k sats semanal',
  'help.connections': () => 'conexiones — lista tus apps vinculadas con sus presupuestos e ids.\nEjemplo: conexiones',
  'help.revoke': () => 'revocar <id> — desvincula una app al instante (los ids están en "conexiones").\nEjemplo: revocar c1a2b3',
  'help.lang': () => 'idioma <en|es|ja> — el idioma en que te respondo.\nEjemplo: idioma en',
  'help.confirm': () => 'sí / no — confirma o cancela el pago que te acabo de preguntar.',
  'help.username': () => 'usuario <nombre> — elige el nombre de tu dirección lightning (3–32 letras, cifras, . _ -).\nEjemplo: usuario alicia',
  'help.zap': () => 'zap <npub | note | nevent | naddr> <cantidad> [comentario] — envía un zap a un perfil o una publicación (NIP-57).\nEjemplo: zap note1… 21 gran post',
  'help.card': () => 'tarjeta — tu Flash Card (una tarjeta NFC Boltcard que paga desde tu saldo en cualquier punto de venta Lightning).\ntarjeta nueva [nombre] — una tarjeta nueva y su enlace de programación de un solo uso · tarjeta on / tarjeta off · tarjeta limite pago <cantidad> · tarjeta limite dia <cantidad> · tarjeta borrar — la retira y te da sus datos de reinicio.\nEjemplo: tarjeta limite pago 20k',
  'help.ecash': () => 'ecash <cantidad> — convierte parte de tu saldo en un token eCash Cashu de la casa de moneda de este servicio (lo acepta cualquier monedero Cashu). Pega un token (cashuA…/cashuB…) para devolverlo a tu saldo.\nEjemplo: ecash 1000',
  'help.nutzap': () => 'nutzap — te da la clave y las etiquetas del evento kind 10019 que publicar para que te envíen nutzaps (NIP-61) de esta casa de moneda; llegan a tu saldo.\nEjemplo: nutzap',
  'nutzap.key': (p) => `Los nutzaps bloqueados a ${p.pubkey} llegan a tu saldo. Publica un evento kind 10019 con estas etiquetas:\n\n${p.tags}`,
  'ecash.created': (p) => `Aquí tienes un token de ${amt(p.msat)}. Quien lo tenga puede gastarlo:\n\n${p.token}`,
  'ecash.pending': (p) => `Tu token de ${amt(p.msat)} se está creando; vuelve a enviar el mismo mensaje en un momento.`,
  'ecash.whole-sats': () => 'El eCash va en sats enteros: da una cantidad sin milisats.',
  'ecash.redeemed': (p) => `Cobrado: ${amt(p.msat)} añadidos a tu saldo${p.feeMsat > 0n ? ` (comisión ${amt(p.feeMsat)})` : ''}.`,
  'error.ecash.spent': () => 'Ese token ya se gastó (o se está gastando).',
  'error.ecash.foreign': () => 'Aquí no se aceptan tokens de esa casa de moneda.',
  'error.ecash.too-large': (p) => `Los tokens de otras casas de moneda se aceptan hasta ${amt(p.maxMsat)}.`,
  'error.ecash.foreign-failed': () => 'La casa de moneda del token no lo pagó; el token sigue igual, inténtalo más tarde.',
  'ecash.redeem-pending': () => 'La casa de moneda del token lo está pagando; te aviso cuando llegue.',
  'error.ecash.invalid': () => 'Ese no es un token válido de esta casa de moneda.',

  'balance': (p) => `Saldo: ${amt(p.msat)}${p.pendingMsat ? ` (${amt(p.pendingMsat)} retenidos por pagos pendientes)` : ''}`,
  'invoice.created': (p) => `Aquí tienes tu factura de ${amt(p.msat)}${p.memo ? ` (${p.memo})` : ''}:\n\n${p.bolt11}`,
  'invoice.paid': (p) => `⚡ Recibiste ${amt(p.msat)}${p.memo ? ` por "${p.memo}"` : ''}.`,
  'payment.sent': (p) => `✅ Pagado: ${amt(p.msat)} (comisión ${amt(p.feeMsat)}).${p.preimage ? `\nPreimagen: ${p.preimage}` : ''}`,
  'payment.failed': (p) => `❌ El pago falló${p.reason ? `: ${reasons[p.reason]}` : ''}. No se descontó nada de tu saldo.`,
  'payment.pending': () => '⏳ El pago está en curso. La cantidad queda retenida hasta que se complete o falle; te avisaré.',
  'send.sent': (p) => `✅ Enviado: ${amt(p.msat)} a ${p.to}${p.feeMsat ? ` (comisión ${amt(p.feeMsat)})` : ''}.`,
  'send.not-found': (p) => `Nadie responde por ${p.address}: no es una dirección Nostr (NIP-05) ni una dirección lightning que pueda alcanzar.`,
  'send.lnurl-failed': (p) => `${p.address} no me dio una factura válida. No se envió nada.`,
  'send.lnurl-range': (p) => `${p.address} acepta de ${amt(p.minMsat)} a ${amt(p.maxMsat)}.`,
  'send.received': (p) => `⚡ ${p.from} te envió ${amt(p.msat)}${p.memo ? `: "${p.memo}"` : ''}.`,
  'send.welcome': () => 'Tu monedero aquí está ligado a tu clave Nostr y lo guarda para ti. Responde "saldo" para verlo, "ayuda" para todos los comandos; "pagar <factura>" lo envía por Lightning.',
  'send.anonymous': () => 'Alguien',
  'zap.sent': (p) => `⚡ Zap de ${amt(p.msat)} enviado a ${p.target}.`,
  'zap.not-found': (p) => `No encontré ${p.target} en los relés, así que no sé a quién enviar el zap.`,

  'confirm.pay': (p) => `¿Pagar ${amt(p.msat)}${p.memo ? ` por "${p.memo}"` : ''} (comisión máxima ${amt(p.maxFeeMsat)})? Responde sí o no.`,
  'confirm.send': (p) => `¿Enviar ${amt(p.msat)} a ${p.to}? Responde sí o no.`,
  'confirm.zap': (p) => `¿Enviar un zap de ${amt(p.msat)} a ${p.target}? Responde sí o no.`,
  'confirm.cancelled': () => 'Cancelado. No se envió nada.',
  'confirm.expired': () => 'Esa confirmación caducó. Envía el comando de nuevo.',
  'confirm.nothing': () => 'No hay nada pendiente de confirmar.',

  'history.empty': () => 'Todavía no hay pagos.',
  'history.list': (p) => `Tus últimos ${p.items.length} pagos:\n${lines(p.items, (i) => `${when(i.at)}  ${i.direction === 'in' ? '+' : '−'}${amt(i.msat)}${i.status ? ` (${i.status === 'pending' ? 'en curso' : 'fallido'})` : ''}${i.memo ? `  ${i.memo}` : ''}`)}`,

  'connection.created': (p) =>
    `"${p.app}" vinculada${p.budgetMsat ? ` con un presupuesto de ${amt(p.budgetMsat)} ${period[p.period ?? 'never']}` : ' sin límite de presupuesto'}. Pega este secreto en la app y no lo compartas:\n\n${p.uri}`,
  'connection.list': (p) =>
    `Apps vinculadas:\n${lines(p.items, (c) => `• ${c.app} (id ${c.id}): ${c.budgetMsat ? `${amt(c.usedMsat)} de ${amt(c.budgetMsat)} ${period[c.period ?? 'never']}` : `${amt(c.usedMsat)} gastados, sin límite`}`)}\nDesvincula con: revocar <id>`,
  'connection.none': () => 'No tienes apps vinculadas. Vincula una con: conectar <app>',
  'connection.revoked': (p) => `${p.id} desvinculada; ya no puede gastar.`,
  'connection.not-found': (p) => `No tienes ninguna app vinculada con el id ${p.id}. Mira: conexiones`,

  'card.list': (p) =>
    `Tus tarjetas (la más nueva primero; los comandos actúan sobre ella):\n${lines(p.items, (c) => `• ${c.name}: ${c.enabled ? 'activa' : 'desactivada'}, ${amt(c.tapMsat)} por pago, ${amt(c.spentMsat)} de ${amt(c.dayMsat)} gastados hoy${c.programmed ? '' : ' (sin programar)'}`)}`,
  'card.none': () => 'No tienes tarjeta. Pide una con: tarjeta nueva',
  'card.created': (p) =>
    `Tu tarjeta "${p.name}" está lista. Abre este enlace una vez con la app Boltcard NFC Programmer (Create Bolt Card) y acerca una tarjeta NTAG 424 en blanco al teléfono. No compartas el enlace:\n\n${p.url}`,
  'card.on': (p) => `La tarjeta "${p.name}" está activa: vuelve a pagar.`,
  'card.off': (p) => `La tarjeta "${p.name}" está desactivada: se rechaza hasta que envíes "tarjeta on".`,
  'card.limit': (p) => `La tarjeta "${p.name}" paga como máximo ${amt(p.msat)} ${p.which === 'tap' ? 'por pago' : 'al día (UTC)'}.`,
  'card.wiped': (p) =>
    `La tarjeta "${p.name}" queda retirada y no paga más. Para dejarla en blanco, escanea estos datos con la app Boltcard NFC Programmer (Reset Bolt Card) y acerca la tarjeta:\n\n${p.data}`,
  'card.paid': (p) => `💳 La tarjeta "${p.name}" pagó ${amt(p.msat)}${p.description ? ` a "${p.description}"` : ''}. Disponible hoy: ${amt(p.leftMsat)}.`,
  'card.failed': (p) => `💳 Falló un pago de ${amt(p.msat)} con la tarjeta "${p.name}". No se descontó nada de tu saldo.`,

  'lang.set': () => 'Te responderé en español.',
  'username.set': (p) => `Tu usuario ahora es ${p.name}: pueden pagarte en ${p.address}.`,
  'username.taken': (p) => `El usuario ${p.name} ya está ocupado. Prueba otro.`,
  'username.reserved': (p) => `El usuario ${p.name} está reservado. Prueba otro.`,

  'rate-limited': (p) => `Demasiados mensajes. Inténtalo de nuevo en ${p.retryAfterSec} s.`,
  'unknown': (p) => `No conozco "${p.word}".${p.suggestion ? ` ¿Quisiste decir "${p.suggestion}"?` : ''} Envía "ayuda" para ver los comandos.`,

  'error.empty': () => 'Envía "ayuda" para ver lo que puedo hacer.',
  'error.missing.amount': (p) => `¿Cuánto? Ejemplo: ${p.command} 1000`,
  'error.missing.invoice': () => '¿Qué factura? Ejemplo: pagar lnbc10u1p…',
  'error.missing.recipient': () => '¿A quién? Indica un npub o un nombre@dominio. Ejemplo: enviar 1000 alice@example.com',
  'error.missing.id': () => '¿Qué conexión? Ejemplo: revocar c1a2b3 (mira "conexiones")',
  'error.missing.lang': () => '¿Qué idioma? en, es o ja. Ejemplo: idioma es',
  'error.missing.name': () => '¿Qué nombre? Ejemplo: usuario alicia',
  'error.missing.target': () => '¿A qué le envías el zap? Indica un npub, note, nevent o naddr. Ejemplo: zap npub1… 21',
  'error.amount.empty': () => 'Falta la cantidad.',
  'error.amount.malformed': (p) => `"${p.input}" no es una cantidad. Ejemplos: 1000, 1k, 21 sats, 0.0001 btc.`,
  'error.amount.negative': () => 'La cantidad debe ser positiva.',
  'error.amount.zero': () => 'La cantidad debe ser mayor que cero.',
  'error.amount.fractional-msat': () => 'Esa cantidad es más fina que un milisatoshi, la unidad más pequeña.',
  'error.amount.too-large': () => 'Esa cantidad supera todo el bitcoin que existirá jamás.',
  'error.invoice': () => 'Eso no es una factura Lightning (debería empezar por lnbc…).',
  'error.recipient': (p) => `"${p.input}" no es un npub, una clave pública hex ni una dirección nombre@dominio.`,
  'error.recipient.secret-key': () => '⚠️ Eso es una clave SECRETA (nsec). No la compartas nunca: quien la tenga controla la cuenta. Cámbiate a una clave nueva si la publicaste en algún sitio.',
  'error.recipient.not-supported': (p) => `Aún no puedo enviar a ${p.to}: las direcciones on-chain y los tokens Cashu todavía no se admiten aquí.`,
  'error.target': (p) => `"${p.input}" no es un npub, note, nevent ni naddr.`,
  'error.history-limit': (p) => `Indica un número del 1 al ${p.max}. Ejemplo: historial 20`,
  'error.id': (p) => `"${p.input}" no es un id de conexión. Mira: conexiones`,
  'error.lang': (p) => `Todavía no hablo "${p.input}". Elige en, es o ja.`,
  'error.username': (p) => `Un usuario tiene de ${p.min} a ${p.max} caracteres: letras, cifras y . _ - en medio.`,
  'error.text-too-long': (p) => `Ese texto es demasiado largo (${p.max} caracteres como máximo).`,
  'error.insufficient-balance': (p) => `Fondos insuficientes: hacen falta ${amt(p.neededMsat)} con comisiones y tu saldo es ${amt(p.balanceMsat)}.`,
  'error.payment.invalid_invoice': () => 'Esa factura no es válida (suma de control o firma incorrecta). Cópiala de nuevo entera.',
  'error.payment.wrong_network': (p) => `Esa factura es para ${p.network}; esta cartera funciona en ${p.ours}.`,
  'error.payment.expired': () => 'Esa factura ha caducado. Pide una nueva.',
  'error.payment.amount_required': () => 'Esa factura no tiene cantidad: añade una. Ejemplo: pagar lnbc1… 1000',
  'error.payment.amount_mismatch': (p) => `Esa factura pide ${amt(p.invoiceMsat)}; omite la cantidad o indica exactamente esa.`,
  'error.payment.amount_out_of_range': (p) => `Aquí las cantidades llegan hasta ${amt(p.maxMsat)}.`,
  'error.payment.already_paid': () => 'Esa factura se está pagando o ya se pagó.',
  'error.payment.self_payment': () => 'Es tu propia factura o cuenta: no hay nada que hacer.',
  'error.payment.unavailable': () => 'El nodo Lightning no responde ahora mismo. No se envió nada; inténtalo de nuevo en un momento.',
  'error.payment.not_supported': () => 'Ese tipo de factura no se puede pagar desde esta cartera.',
  'error.card': () => 'Comandos de tarjeta: tarjeta · tarjeta nueva [nombre] · tarjeta on · tarjeta off · tarjeta limite pago <cantidad> · tarjeta limite dia <cantidad> · tarjeta borrar',
  // On-chain (core/onchain/).
  'help.address': () => 'address [new] — una dirección bitcoin para depositar on-chain (y un enlace bitcoin:). Los depósitos quedan pendientes hasta confirmarse. "address new" da una nueva; las anteriores siguen valiendo.\nEjemplo: address',
  'help.withdraw': () => 'withdraw <cantidad> <dirección> [fast|normal|slow] — envía sats on-chain. Te digo la comisión y espero tu "sí"; los retiros salen en lotes y lo que sobra de la comisión vuelve.\nEjemplo: withdraw 50k bc1q… fast',
  'address.created': (p) => `Deposita bitcoin on-chain en:\n\n${p.address}\n\n${p.uri}\n\nTe aviso cuando llegue un depósito y cuando puedas gastarlo.`,
  'deposit.pending': (p) => `⏳ Depósito de ${amt(p.msat)} visto (${p.confirmations} confirmaciones): podrás gastarlo cuando se confirme.`,
  'deposit.credited': (p) => `✅ Depósito de ${amt(p.msat)} confirmado: ya está en tu saldo.`,
  'confirm.withdraw': (p) => `¿Retirar ${amt(p.msat)} a ${p.address} (${p.speed}; comisión como mucho ${amt(p.feeMsat)}, el resto vuelve)? Responde sí o no.`,
  'withdraw.queued': () => '⏳ Retiro en cola: sale con el próximo lote. La cantidad y la comisión quedan retenidas hasta que se confirme; te avisaré.',
  'error.missing.address': () => '¿A qué dirección? Ejemplo: withdraw 50k bc1q…',
  'error.withdraw.address': (p) => `"${p.input}" no es una dirección bitcoin válida (comprueba que la copiaste entera).`,
  'error.withdraw.network': (p) => `Esa dirección es de otra red bitcoin; esta cartera funciona en ${p.ours}.`,
  'error.withdraw.whole-sats': () => 'Las cantidades on-chain son sats enteros.',
  'error.withdraw.minimum': (p) => `Demasiado poco para enviar on-chain: ${p.reason}.`,
  'error.payment.account_held': () => 'Tus pagos salientes están retenidos mientras el operador revisa un depósito que la red revirtió. Contacta con él.',
  'error.risk.account_frozen': (p) => `Tu cuenta está congelada: puede recibir pero no enviar${p.reason ? ` (${p.reason})` : ''}. Contacta con el operador.`,
  'error.risk.payments_paused': () => 'El operador ha pausado los pagos salientes por ahora. No se envió nada; inténtalo más tarde.',
  'error.risk.payment': (p) => `Supera el límite por pago, ${amt(p.limitMsat)}.`,
  'error.risk.daily': (p) =>
    `Supera tu límite de 24 horas para pagos ${p.rail} (${amt(p.limitMsat)}): quedan ${amt(p.leftMsat)}${p.resetsAt ? `; esta cantidad cabe de nuevo desde ${when(p.resetsAt)}` : ''}.`,
  'error.risk.balance': (p) => `El destinatario puede tener como máximo ${amt(p.limitMsat)}: caben ${amt(p.leftMsat)} más.`,
  'error.internal': () => 'Algo falló por mi parte. Tu saldo está a salvo; inténtalo de nuevo en un momento.',
};
