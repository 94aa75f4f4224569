package mariadbtest

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/testcontainers/testcontainers-go"
	tclog "github.com/testcontainers/testcontainers-go/log"
	tcmariadb "github.com/testcontainers/testcontainers-go/modules/mariadb"
)

// containerImage is the MariaDB image used when a Docker engine is present.
const containerImage = "mariadb:11"

// dockerConfigured reports whether a Docker engine could exist at all, so
// machines without one never pay for testcontainers' discovery.
func dockerConfigured() bool {
	if os.Getenv("DOCKER_HOST") != "" {
		return true
	}
	for _, sock := range []string{"/var/run/docker.sock", os.ExpandEnv("$HOME/.docker/run/docker.sock"),
		os.ExpandEnv("$XDG_RUNTIME_DIR/docker.sock")} {
		if fi, err := os.Stat(sock); err == nil && fi.Mode()&os.ModeSocket != 0 {
			return true
		}
	}
	return false
}

// startContainer starts a MariaDB container if a Docker engine answers
// quickly. (nil, nil) means no engine; an engine that answers but cannot
// run the container is an error, not a reason to fall back silently.
func startContainer() (*server, error) {
	if !dockerConfigured() {
		return nil, nil
	}
	tclog.SetDefault(tclog.NewNoopLogger())
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	provider, err := testcontainers.NewDockerProvider()
	if err != nil {
		return nil, nil
	}
	healthy := provider.Health(ctx) == nil
	provider.Close()
	if !healthy {
		return nil, nil
	}

	ctx, cancel = context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c, err := tcmariadb.Run(ctx, containerImage,
		tcmariadb.WithUsername("root"), tcmariadb.WithPassword("gochat"), tcmariadb.WithDatabase("gochat"))
	if err != nil {
		if c != nil {
			testcontainers.TerminateContainer(c)
		}
		return nil, fmt.Errorf("start %s container: %w", containerImage, err)
	}
	stop := func() { testcontainers.TerminateContainer(c) }
	dsn, err := c.ConnectionString(ctx)
	if err != nil {
		stop()
		return nil, fmt.Errorf("%s container: %w", containerImage, err)
	}
	cfg, err := mysql.ParseDSN(strings.TrimSpace(dsn))
	if err != nil {
		stop()
		return nil, fmt.Errorf("%s container DSN: %w", containerImage, err)
	}
	s, err := connect(cfg, containerImage+" container", stop, 30*time.Second)
	if err != nil {
		stop()
		return nil, err
	}
	return s, nil
}
