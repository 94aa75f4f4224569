// Package benchreport measures the reference server with the load
// generator and writes docs/benchmarks.md. It is a test so that it can use
// internal/mariadbtest; "make bench" runs it:
//
//	go test ./conformance/load/benchreport -run TestBenchReport -timeout 30m \
//	    -report docs/benchmarks.md [-gobench FILE] [-quick]
//
// Without -report the test is skipped, so "go test ./..." stays fast.
package benchreport
