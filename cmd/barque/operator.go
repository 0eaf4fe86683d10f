package main

import (
	"fmt"
	"os"
	"path/filepath"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

func init() { subcommands = append(subcommands, newOperatorCmd) }

func newOperatorCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "operator", Short: "Cluster operations: Raft membership and snapshots"}
	raft := &cobra.Command{Use: "raft", Short: "Inspect and change the Raft configuration"}
	raft.AddCommand(newListPeersCmd(), newRemovePeerCmd(), newTransferLeadershipCmd())
	snap := &cobra.Command{Use: "snapshot", Short: "Save or restore the cluster state"}
	snap.AddCommand(newSnapshotSaveCmd(), newSnapshotRestoreCmd())
	cmd.AddCommand(raft, snap)
	return cmd
}

func newListPeersCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "list-peers",
		Short: "List the servers of the Raft configuration",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := newAPIClient()
			if err != nil {
				return err
			}
			cfg, err := c.RaftConfiguration(cmd.Context())
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 6, 4, 3, ' ', 0)
			fmt.Fprintln(tw, "ID\tADDRESS\tAPI\tSTATE\tVOTER")
			for _, s := range cfg.Servers {
				state := "follower"
				if s.Leader {
					state = "leader"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%t\n", s.ID, s.Address, s.API, state, s.Voter)
			}
			return tw.Flush()
		},
	}
}

func newRemovePeerCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "remove-peer ID",
		Short: "Remove a server from the Raft configuration",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := newAPIClient()
			if err != nil {
				return err
			}
			if err := c.RemovePeer(cmd.Context(), args[0]); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Removed peer %s\n", args[0])
			return nil
		},
	}
}

func newTransferLeadershipCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "transfer-leadership [ID]",
		Short: "Hand leadership to server ID, or to any other voter",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := newAPIClient()
			if err != nil {
				return err
			}
			id := ""
			if len(args) == 1 {
				id = args[0]
			}
			if err := c.TransferLeadership(cmd.Context(), id); err != nil {
				return err
			}
			if l, err := c.Leader(cmd.Context()); err == nil {
				fmt.Fprintf(cmd.OutOrStdout(), "Leadership transferred; leader is now %s (%s)\n", l.ID, l.API)
				return nil
			}
			fmt.Fprintln(cmd.OutOrStdout(), "Leadership transfer started")
			return nil
		},
	}
}

func newSnapshotSaveCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "save FILE",
		Short: "Save a snapshot of the cluster state to FILE",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := newAPIClient()
			if err != nil {
				return err
			}
			// Write beside the target and rename, so a failed save never
			// leaves a truncated snapshot under the requested name.
			f, err := os.CreateTemp(filepath.Dir(args[0]), ".barque-snapshot-*")
			if err != nil {
				return err
			}
			defer os.Remove(f.Name())
			if err := c.SnapshotSave(cmd.Context(), f); err != nil {
				f.Close()
				return err
			}
			if err := f.Close(); err != nil {
				return err
			}
			if err := os.Rename(f.Name(), args[0]); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Saved snapshot to %s\n", args[0])
			return nil
		},
	}
}

func newSnapshotRestoreCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "restore FILE",
		Short: "Replace the cluster state with the snapshot in FILE",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := newAPIClient()
			if err != nil {
				return err
			}
			f, err := os.Open(args[0])
			if err != nil {
				return err
			}
			defer f.Close()
			if err := c.SnapshotRestore(cmd.Context(), f); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), "Restored snapshot")
			return nil
		},
	}
}
