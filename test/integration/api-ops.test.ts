// Metrics and health: metrics stay off the public API port (unless a token is configured),
// and readiness says which dependency failed without echoing its error text.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../core/db.ts';
import { buildApi, buildOpsServer } from '../../api/server.ts';
import { createTestContext, type TestContext } from '../support/context.ts';

let ctx: TestContext;
beforeAll(async () => { ctx = await createTestContext(); });
afterAll(async () => { await ctx.close(); });

describe('operations endpoints', () => {
  it('serves no /metrics on the API port by default, and serves them on the operations server', async () => {
    const api = await buildApi(ctx);
    const ops = buildOpsServer(ctx);
    try {
      expect((await api.inject('/metrics')).statusCode).toBe(404);
      const res = await ops.inject('/metrics');
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain('flash_http_requests_total');
      expect((await ops.inject('/readyz')).json()).toEqual({ status: 'ready', postgres: 'ok', redis: 'ok', payments: 'running' });
    } finally {
      await api.close();
      await ops.close();
    }
  });

  it('serves /metrics on the API port only with the METRICS_TOKEN bearer', async () => {
    const token = 'a-long-enough-metrics-token';
    const api = await buildApi({ ...ctx, config: { ...ctx.config, METRICS_TOKEN: token } });
    try {
      expect((await api.inject('/metrics')).statusCode).toBe(401);
      expect((await api.inject({ url: '/metrics', headers: { authorization: 'Bearer wrong-token-of-same-size' } })).statusCode).toBe(401);
      const ok = await api.inject({ url: '/metrics', headers: { authorization: `Bearer ${token}` } });
      expect(ok.statusCode).toBe(200);
      expect(ok.body).toContain('flash_http_requests_total');
    } finally {
      await api.close();
    }
  });

  it('reports a failed dependency by name only, not with its error text', async () => {
    const url = new URL(ctx.db.url);
    url.pathname = '/flash_no_such_database_probe';
    const sql = connect(url.toString(), { max: 1 });
    const api = await buildApi({ ...ctx, sql });
    try {
      const res = await api.inject('/readyz');
      expect(res.statusCode).toBe(503);
      expect(res.json()).toEqual({ status: 'unavailable', postgres: 'unavailable', redis: 'ok' });
      expect(res.body).not.toContain('no_such_database');
    } finally {
      await api.close();
      await sql.end();
    }
  });
});
