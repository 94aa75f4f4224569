package conformance

import "crypto/tls"

// tlsClientConfig returns the client configuration for the server's TLS
// listener; insecure skips verification (self-signed test servers).
func tlsClientConfig(insecure bool) *tls.Config {
	return &tls.Config{InsecureSkipVerify: insecure, MinVersion: tls.VersionTLS12} //nolint:gosec // opt-in via --tls-insecure
}
