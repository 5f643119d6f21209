// ${{ values.name }}: ${{ values.description }}
//
// Scaffolded from the platform's go-http golden-path template.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

const service = "${{ values.name }}"

var (
	requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "http_requests_total",
		Help: "HTTP requests handled, by method, route and status.",
	}, []string{"method", "path", "status"})
	duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "http_request_duration_seconds",
		Help:    "HTTP request duration in seconds, by method, route and status.",
		Buckets: []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5},
	}, []string{"method", "path", "status"})
)

// newLogger writes structured JSON logs, one object per line, with the seed's field names
// (level, msg, timestamp, hostname, service): Promtail ships them to Loki as they are.
func newLogger() *slog.Logger {
	hostname, _ := os.Hostname()
	handler := slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) > 0 {
				return a
			}
			switch a.Key {
			case slog.TimeKey:
				return slog.String("timestamp", a.Value.Time().UTC().Format("2006-01-02T15:04:05.000Z"))
			case slog.LevelKey:
				level, _ := a.Value.Any().(slog.Level)
				return slog.String("level", map[slog.Level]string{
					slog.LevelDebug: "debug", slog.LevelInfo: "info", slog.LevelWarn: "warn", slog.LevelError: "error",
				}[level])
			}
			return a
		},
	})
	return slog.New(handler).With("hostname", hostname, "service", service)
}

// statusRecorder remembers the status code a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

// logRequests logs one line per finished request, with its outcome and duration, and counts it.
func logRequests(log *slog.Logger, mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		mux.ServeHTTP(rec, r)
		elapsed := time.Since(start)
		// The matched pattern ("GET /health") without its method keeps the label set small.
		_, route := mux.Handler(r)
		if _, path, found := strings.Cut(route, " "); found {
			route = path
		}
		if route == "" {
			route = "unmatched"
		}
		status := strconv.Itoa(rec.status)
		requests.WithLabelValues(r.Method, route, status).Inc()
		duration.WithLabelValues(r.Method, route, status).Observe(elapsed.Seconds())
		log.Info("Request completed",
			"method", r.Method,
			"path", r.URL.Path,
			"status", rec.status,
			"duration_ms", float64(elapsed.Microseconds())/1000,
			"user_agent", r.UserAgent(),
		)
	})
}

func writeJSON(w http.ResponseWriter, body any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(body)
}

func main() {
	log := newLogger()
	registry := prometheus.NewRegistry()
	registry.MustRegister(requests, duration, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	mux := http.NewServeMux()
	// Liveness: the process answers.
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]string{"status": "healthy", "timestamp": time.Now().UTC().Format(time.RFC3339Nano)})
	})
	// Readiness: add checks of the service's dependencies (database, cache, ...) here.
	mux.HandleFunc("GET /ready", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]string{"status": "ready", "timestamp": time.Now().UTC().Format(time.RFC3339Nano)})
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]string{"service": service, "message": "Hello from ${{ values.name }}"})
	})

	port := os.Getenv("PORT")
	if port == "" {
		port = "${{ values.port }}"
	}
	server := &http.Server{Addr: ":" + port, Handler: logRequests(log, mux), ReadHeaderTimeout: 10 * time.Second}

	// Kubernetes stops pods with SIGTERM: finish the requests in flight, then exit.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	go func() {
		<-ctx.Done()
		log.Info("SIGTERM received, shutting down")
		shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = server.Shutdown(shutdown)
	}()

	log.Info(service+" listening on port "+port, "port", port)
	if err := server.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Error(err.Error())
		os.Exit(1)
	}
}
