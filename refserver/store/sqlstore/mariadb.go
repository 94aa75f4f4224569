package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/go-sql-driver/mysql"
)

var mariadbDialect = &dialect{
	name: "mariadb",
	upsertSetting: `INSERT INTO settings (name, content) VALUES (?, ?)
		ON DUPLICATE KEY UPDATE content = VALUES(content)`,
	lockShared:  ` LOCK IN SHARE MODE`,
	prepareBulk: true,
	isUnique: func(err error) bool {
		var e *mysql.MySQLError
		// 1062 ER_DUP_ENTRY, 1586 ER_DUP_ENTRY_WITH_KEY_NAME
		return errors.As(err, &e) && (e.Number == 1062 || e.Number == 1586)
	},
	lockMigrations: func(ctx context.Context, conn *sql.Conn) (func(), error) {
		// A named lock per database keeps two servers starting at once
		// from both applying a step and colliding on schema_version.
		var got sql.NullInt64
		err := conn.QueryRowContext(ctx,
			`SELECT GET_LOCK(CONCAT('gochat_migrate.', DATABASE()), 60)`).Scan(&got)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: migration lock: %w", err)
		}
		if got.Int64 != 1 {
			return nil, errors.New("sqlstore: timed out waiting for the migration lock")
		}
		return func() {
			conn.ExecContext(context.Background(), `SELECT RELEASE_LOCK(CONCAT('gochat_migrate.', DATABASE()))`)
		}, nil
	},
}

// OpenMariaDB opens the MariaDB (or MySQL) database named by a
// go-sql-driver DSN ("user:pass@tcp(host:port)/db") and migrates it. The
// database must exist. Some options are forced because the store relies on
// them: clientFoundRows (UPDATE reports matched rows, so "not found" is
// told apart from "unchanged"), interpolateParams (one round trip per
// statement), and a strict sql_mode (oversized values fail instead of being
// silently truncated).
func OpenMariaDB(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: %w", err)
	}
	if cfg.DBName == "" {
		return nil, errors.New("sqlstore: MariaDB DSN names no database")
	}
	cfg.ParseTime = true
	cfg.ClientFoundRows = true
	cfg.InterpolateParams = true
	cfg.MultiStatements = false
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	cfg.Params["sql_mode"] = "'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION,ERROR_FOR_DIVISION_BY_ZERO'"
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: %w", err)
	}
	db := sql.OpenDB(connector)
	db.SetMaxOpenConns(32)
	db.SetMaxIdleConns(8)
	db.SetConnMaxLifetime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlstore: connect to MariaDB: %w", err)
	}
	return open(ctx, db, mariadbDialect)
}
