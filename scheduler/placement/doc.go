// Package placement decides where pods run. It is a pure function of a
// snapshot: Place(snapshot, pods, config) returns one Decision per pod and
// changes nothing outside itself, so the leader's scheduling loop, the FSM's
// tests and `job plan` can all call it and get the same answer.
//
// The shape is Nomad's feasibility-then-rank chain and Kubernetes'
// framework: for each pod, every filter first prepares what it needs from
// the cluster (Kubernetes' PreFilter) and returns a per-node check, or
// nothing when the pod asks nothing of it. Nodes are then walked through the
// checks, cheapest first; the first check that rejects a node records why,
// so that a pod no node accepts gets Kubernetes' message ("0/5 nodes are
// available: 3 Insufficient memory, 2 node(s) were not ready."). A filter
// may also rule a pod out before the scan, when no node of the snapshot
// could ever take it (a PreFilter: a claim bound to a node that is gone);
// its reason is then the whole message. Scorers
// rank the feasible nodes and the best one wins, ties going to the smaller
// node name so that results are reproducible.
//
// Pods of one call are placed in order, and each placement is charged to its
// node (resources, host ports, labels for anti-affinity and spread, owners
// for distinct_hosts), so later pods of the batch see it.
//
// # Sampling
//
// Scoring every node for every pod costs O(nodes) per pod. As Kubernetes
// does (percentageOfNodesToScore), a pod's scan stops once it has found
// enough feasible nodes: Config.PercentageOfNodesToScore of the nodes, or by
// default Kubernetes' adaptive figure (50% minus 1% per 125 nodes, at least
// 5%), and never fewer than 100. Each scan starts where the previous pod's
// scan stopped, so successive pods look at different nodes and load spreads
// over the whole cluster instead of piling onto the first nodes by name; the
// first pod of a call starts at an offset hashed from its identity, which
// keeps the function pure. The price is that a pod's best node is the best of
// a sample, not of the cluster. A pod that fits nowhere is checked against
// every node, which is what the explanation needs.
package placement
