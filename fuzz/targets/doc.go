// Package targets holds Go fuzz targets for decoders outside package spec
// (whose own targets live next to it): the conformance scenario loader and
// the corpus file parser. Run them with "make fuzz" or
//
//	go test -run '^$' -fuzz FuzzScenarioParse -fuzztime 30s ./fuzz/targets
package targets
