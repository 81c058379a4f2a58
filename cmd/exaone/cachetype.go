package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/exaone-go/exaone/model"
)

// cacheTypeFlags are llama.cpp's --cache-type-k (-ctk) and --cache-type-v
// (-ctv), for every command that evaluates: run, perplexity, bench, serve.
func cacheTypeFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "cache-type-k", Aliases: []string{"ctk"}, Value: "f16", Usage: "KV cache `TYPE` of the keys: " + model.CacheTypes()},
		&cli.StringFlag{Name: "cache-type-v", Aliases: []string{"ctv"}, Value: "f16", Usage: "KV cache `TYPE` of the values: " + model.CacheTypes()},
	}
}

// cacheTypes reads the flags of cacheTypeFlags; an error names the flag.
func cacheTypes(c *cli.Context) (k, v model.CacheType, err error) {
	if k, err = model.ParseCacheType(c.String("cache-type-k")); err != nil {
		return k, v, fmt.Errorf("--cache-type-k: %w", err)
	}
	if v, err = model.ParseCacheType(c.String("cache-type-v")); err != nil {
		return k, v, fmt.Errorf("--cache-type-v: %w", err)
	}
	return k, v, nil
}

// kvLine describes a session's KV cache for --verbose: the types and the
// memory of the global and the sliding-window layers.
func kvLine(s *model.Session) string {
	k, v := s.CacheTypes()
	sl, gl := s.KVBytes()
	mib := func(n int) float64 { return float64(n) / (1 << 20) }
	return fmt.Sprintf("KV cache: keys %s, values %s: %.2f MiB (global layers %.2f MiB, sliding-window layers %.2f MiB)", k, v, mib(sl+gl), mib(gl), mib(sl))
}
