package metrics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/gochatproto/gochat/refserver/store"
)

// HealthFunc reports why the server is unhealthy, or nil.
type HealthFunc func(context.Context) error

// StoreHealth checks that st answers a read (the MOTD setting) within
// timeout: a database that is down or hung makes the server unhealthy.
func StoreHealth(st store.Store, timeout time.Duration) HealthFunc {
	return func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		if _, _, err := st.Setting(ctx, store.SettingMOTD); err != nil {
			return fmt.Errorf("store unreachable: %w", err)
		}
		return nil
	}
}

// Handler serves GET /metrics (Prometheus text format) and GET /healthz:
// 200 "ok" if health reports nil, else 503 and the reason.
func (m *Metrics) Handler(health HealthFunc) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if err := health(r.Context()); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, "unhealthy:", err)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	return mux
}

// ListenAddr applies "loopback unless told": an address without a host
// (":9100") listens on 127.0.0.1 only; to listen on every interface, say
// so ("0.0.0.0:9100", "[::]:9100").
func ListenAddr(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("metrics address %q: %w", addr, err)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port), nil
}

// Endpoint is the HTTP listener of the metrics and health check.
type Endpoint struct {
	srv  *http.Server
	ln   net.Listener
	done chan error
}

// Listen serves h on addr (after ListenAddr) until Close; log (nil for
// none) gets the HTTP server's own errors.
func Listen(addr string, h http.Handler, log *slog.Logger) (*Endpoint, error) {
	addr, err := ListenAddr(addr)
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	e := &Endpoint{
		// The timeouts keep a slow or idle scraper from holding
		// descriptors for long.
		srv: &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
			WriteTimeout: 30 * time.Second, IdleTimeout: time.Minute,
			ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)},
		ln:   ln,
		done: make(chan error, 1),
	}
	go func() { e.done <- e.srv.Serve(ln) }()
	return e, nil
}

// Addr is the bound address.
func (e *Endpoint) Addr() string { return e.ln.Addr().String() }

// Close stops the endpoint, letting requests in progress finish until ctx
// ends, and waits for its goroutine.
func (e *Endpoint) Close(ctx context.Context) error {
	err := e.srv.Shutdown(ctx)
	if serr := <-e.done; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}
