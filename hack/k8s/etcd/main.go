// Command etcd is etcd's server main, built from the pinned go.etcd.io/etcd/server/v3
// so tests get an etcd without downloading a release binary.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
