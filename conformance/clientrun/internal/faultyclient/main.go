// Command faultyclient is the reference client's driver with one fault
// injected into the bytes it sends, so tests can show that client
// scenarios catch broken clients. Placeholder until the faults land.
package main

func main() {}
