// Prometheus metrics for the whole process, served at GET /metrics on the api role's operations port.
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export const registry = new Registry();
collectDefaultMetrics({ register: registry });

export const metrics = {
  jobs: new Counter({ name: 'flash_jobs_total', help: 'Jobs processed, by queue, job and outcome', labelNames: ['queue', 'job', 'outcome'], registers: [registry] }),
  jobSeconds: new Histogram({ name: 'flash_job_seconds', help: 'Job processing time', labelNames: ['queue', 'job'], registers: [registry], buckets: [0.001, 0.005, 0.02, 0.1, 0.5, 2, 10, 60] }),
  riskAlerts: new Counter({ name: 'flash_risk_alerts_total', help: 'Operator alerts, by kind and outcome (sent, sent already, limited, no operators)', labelNames: ['kind', 'outcome'], registers: [registry] }),
  httpRequests: new Counter({ name: 'flash_http_requests_total', help: 'HTTP requests, by route and status', labelNames: ['route', 'status'], registers: [registry] }),
};
