package sim

// A world keeps a few things it could work out again from its state, to
// save work: a route tree towards each destination, its brokers, each
// side's apps, each device's automatic target (device.sink) and, in a
// View, what is copied of each device once. Two counters say when they
// are out of date, and this file is the one place that says when those
// move:
//
//   - topoVers counts changes of topology: a device added, removed,
//     moved or powered, a link joined, cut, restored or given another
//     range. Route trees, the broker and app lists and devices' automatic
//     targets are stamped with the topology they were made for (stale).
//   - shapeVers counts changes to what a view copies of a device once and
//     keeps (its label, its quantity) while the topology stays the same.
//
// Whatever changes one of these calls topologyChanged or shapeChanged;
// no cache is marked out of date any other way.
type caches struct {
	topoVers  uint64
	shapeVers uint64

	routes     map[int32]*routeTree
	brokerList []int32 // the brokers, stamped brokerVers
	brokerVers uint64
	appsBySide [][]int32 // each side's apps, stamped appVers
	appVers    uint64
}

// topologyChanged marks every cache made from the topology out of date.
func (w *World) topologyChanged() { w.topoVers++ }

// shapeChanged marks what views copied of devices once out of date.
func (w *World) shapeChanged() { w.shapeVers++ }

// stale reports whether the cache stamped vers was made for another
// topology than the world's now, and stamps it with the one now: the
// caller makes the cache again when it reports true. A stamp is
// topoVers+1, so the zero stamp of a cache never made is stale.
func (w *World) stale(vers *uint64) bool {
	if *vers == w.topoVers+1 {
		return false
	}
	*vers = w.topoVers + 1
	return true
}

// dropCaches leaves a world's caches to be made again on first use, from
// its state: what Clone does, so a copy is as small as its state allows.
// The counters stay, as the devices' stamps were copied with them.
func (w *World) dropCaches() {
	w.caches = caches{topoVers: w.topoVers, shapeVers: w.shapeVers, routes: map[int32]*routeTree{}}
}
