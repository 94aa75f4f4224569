package sqlstore

import (
	"context"
	"fmt"
	"strings"
)

// Open opens a store named by a backend URL (see the package documentation
// for the syntax).
func Open(ctx context.Context, url string) (*Store, error) {
	scheme, rest, ok := strings.Cut(url, ":")
	if !ok {
		return nil, fmt.Errorf("sqlstore: store URL %q has no scheme (want sqlite:, mariadb: or mysql:)", url)
	}
	switch scheme {
	case "sqlite":
		return OpenSQLite(ctx, strings.TrimPrefix(rest, "//"))
	case "mariadb", "mysql":
		return OpenMariaDB(ctx, strings.TrimPrefix(rest, "//"))
	}
	return nil, fmt.Errorf("sqlstore: unknown store scheme %q (want sqlite:, mariadb: or mysql:)", scheme)
}
