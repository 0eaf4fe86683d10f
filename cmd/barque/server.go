package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/barque-io/barque/api/server"
	"github.com/spf13/cobra"
)

func init() { subcommands = append(subcommands, newServerCmd) }

func newServerCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "server -data-dir DIR [-bind ADDR] [-bootstrap-expect N] [-join ADDR...] [-config FILE]",
		Short: "Run one control-plane replica",
		Long: `Run one control-plane replica. Servers find each other over gossip (-join any
member) and form the Raft group once -bootstrap-expect servers are seen.
Default ports: API 7080, Raft 7081, gossip 7082. SIGTERM or Ctrl-C hands
leadership to a follower, leaves the gossip pool and exits.`,
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			f := newServerFlags()
			cfg, err := f.parse(args)
			if errors.Is(err, flag.ErrHelp) {
				return nil
			}
			if err != nil {
				return err
			}
			return runServer(cfg)
		},
	}
}

func runServer(cfg server.Config) error {
	s, err := server.New(cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "barque server %s: API %s, gossip %s\n", s.Name(), s.APIURL(), s.GossipAddr())
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	<-sig
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return s.Shutdown(ctx)
}
