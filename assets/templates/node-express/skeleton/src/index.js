// ${{ values.name }}: ${{ values.description }}
// Scaffolded from the platform's node-express golden-path template.
const os = require('os');
const express = require('express');
const client = require('prom-client');

const SERVICE = '${{ values.name }}';
const PORT = parseInt(process.env.PORT || '${{ values.port }}', 10);

// Structured JSON logs, one object per line: Promtail ships them to Loki as they are.
const log = (level, msg, meta = {}) => {
  console.log(JSON.stringify({
    level,
    msg,
    timestamp: new Date().toISOString(),
    hostname: os.hostname(),
    service: SERVICE,
    ...meta,
  }));
};

// Prometheus metrics: the process defaults plus request counts and durations.
const register = new client.Registry();
register.setDefaultLabels({ service: SERVICE });
client.collectDefaultMetrics({ register });
const requests = new client.Counter({
  name: 'http_requests_total',
  help: 'HTTP requests handled, by method, route and status.',
  labelNames: ['method', 'path', 'status'],
  registers: [register],
});
const duration = new client.Histogram({
  name: 'http_request_duration_seconds',
  help: 'HTTP request duration in seconds, by method, route and status.',
  labelNames: ['method', 'path', 'status'],
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers: [register],
});

const app = express();
app.disable('x-powered-by');

// Request logging: one line per finished request, with its outcome and duration.
app.use((req, res, next) => {
  const start = process.hrtime.bigint();
  res.on('finish', () => {
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const route = req.route ? req.route.path : req.path;
    requests.inc({ method: req.method, path: route, status: res.statusCode });
    duration.observe({ method: req.method, path: route, status: res.statusCode }, seconds);
    log('info', 'Request completed', {
      method: req.method,
      path: req.path,
      status: res.statusCode,
      duration_ms: Math.round(seconds * 1e6) / 1e3,
      user_agent: req.get('user-agent') || '',
    });
  });
  next();
});

// Liveness: the process answers.
app.get('/health', (req, res) => {
  res.json({ status: 'healthy', timestamp: new Date().toISOString() });
});

// Readiness: add checks of the service's dependencies (database, cache, ...) here.
app.get('/ready', (req, res) => {
  res.json({ status: 'ready', timestamp: new Date().toISOString() });
});

app.get('/metrics', async (req, res) => {
  res.set('Content-Type', register.contentType);
  res.end(await register.metrics());
});

app.get('/', (req, res) => {
  res.json({ service: SERVICE, message: 'Hello from ${{ values.name }}' });
});

app.use((err, req, res, next) => {
  log('error', err.message, { stack: err.stack });
  res.status(500).json({ error: 'internal error' });
});

const server = app.listen(PORT, () => log('info', `${SERVICE} listening on port ${PORT}`, { port: PORT }));

// Kubernetes stops pods with SIGTERM: finish the requests in flight, then exit.
process.on('SIGTERM', () => {
  log('info', 'SIGTERM received, shutting down');
  server.close(() => process.exit(0));
});
