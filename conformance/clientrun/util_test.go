package clientrun_test

import "strings"

type stringsBuilder = strings.Builder
