package main

import "github.com/spf13/pflag"

// renamedFlags maps the spellings flags had before xent's command-line
// vocabulary was made one (README, "One command-line vocabulary") to the
// names they have now. The old spellings keep working in every command,
// and the help shows only the new ones.
var renamedFlags = map[string]string{
	"ctx":        "context", // xent eval
	"t":          "context", // xent bench train, bench teacher-forcing
	"b":          "batch",   // xent bench train
	"new-tokens": "max-tokens",
}

// normalizeFlagName is the root command's global normalization: every
// flag name, as defined and as typed, goes through it.
func normalizeFlagName(_ *pflag.FlagSet, name string) pflag.NormalizedName {
	if now, ok := renamedFlags[name]; ok {
		return pflag.NormalizedName(now)
	}
	return pflag.NormalizedName(name)
}
