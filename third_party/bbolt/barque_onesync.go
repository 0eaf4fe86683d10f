package bbolt

// Barque patch: a commit with one fdatasync instead of two.
//
// Upstream syncs the dirty pages, then writes and syncs the meta page, so
// that a meta page on disk never points at pages that are not. Here the
// meta page carries a commit record instead: the extents of the pages the
// transaction wrote and a CRC-32C of their contents. Pages and meta page
// are written, then synced once. If a crash lands between the writes and
// the end of that sync, the newest meta page may be on disk while some of
// its pages are not; Open finds that its record does not match the pages,
// erases that meta page and so opens the previous commit, which was
// synced before this transaction began and whose pages this transaction
// did not touch (bolt writes only to free pages: copy on write).
//
// The record sits in the meta page's first 512-byte sector, right after
// the meta, so that no torn write of the meta page can pair a new meta
// with an old record. It names the meta's txid. A meta page without a
// record (written by upstream bbolt, by db.init or by Tx.WriteTo) is
// trusted, as upstream trusts it. A transaction whose pages need more
// extents than the record holds syncs twice, as upstream, and says so in
// its record.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"sync/atomic"
	"unsafe"

	"go.etcd.io/bbolt/internal/common"
)

const (
	// commitRecordOffset is where the record starts in a meta page: past
	// the page header (16 bytes) and the meta (64 bytes).
	commitRecordOffset = 128
	// commitRecordEnd keeps the record in the meta page's first sector.
	commitRecordEnd    = 512
	commitRecordMagic  = 0x31535142 // "BQS1"
	commitRecordHeader = 4 + 8 + 2 + 2 + 4 + 4
	commitExtentSize   = 8 + 4
	maxCommitExtents   = (commitRecordEnd - commitRecordOffset - commitRecordHeader) / commitExtentSize

	// commitSynced: the pages were synced before the meta page was
	// written (upstream's order); there is nothing to check.
	commitSynced = 1
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// syncCount counts fdatasync calls, for tests; failNextSync, set by a
// test, is the error the next one returns instead of syncing.
var (
	syncCount    atomic.Uint64
	failNextSync error
)

// commitExtent is a run of contiguous pages a transaction wrote.
type commitExtent struct {
	id    common.Pgid
	count uint32
}

// commitRecord describes what a transaction wrote besides its meta page.
type commitRecord struct {
	flags   uint16
	extents []commitExtent
	sum     uint32
}

// newCommitRecord records the sorted pages about to be written, or
// returns nil when they need more extents than a record holds.
func newCommitRecord(pages common.Pages, pageSize int) *commitRecord {
	if pageSize < commitRecordEnd*2 {
		return nil
	}
	r := &commitRecord{}
	for _, p := range pages {
		count := uint32(p.Overflow()) + 1
		if n := len(r.extents); n > 0 && r.extents[n-1].id+common.Pgid(r.extents[n-1].count) == p.Id() {
			r.extents[n-1].count += count
		} else if n == maxCommitExtents {
			return nil
		} else {
			r.extents = append(r.extents, commitExtent{id: p.Id(), count: count})
			r.sum = sumExtentID(r.sum, p.Id())
		}
		r.sum = crc32.Update(r.sum, crcTable, unsafe.Slice((*byte)(unsafe.Pointer(p)), int(count)*pageSize))
	}
	return r
}

// sumExtentID adds the first page id of an extent to a running checksum,
// which then takes the extent's bytes: a page written at another place
// does not match.
func sumExtentID(sum uint32, id common.Pgid) uint32 {
	var idb [8]byte
	binary.LittleEndian.PutUint64(idb[:], uint64(id))
	return crc32.Update(sum, crcTable, idb[:])
}

// put writes the record into a meta page buffer for txid.
func (r *commitRecord) put(page []byte, txid common.Txid) {
	if len(page) < commitRecordEnd*2 {
		return
	}
	b := page[commitRecordOffset:commitRecordEnd]
	binary.LittleEndian.PutUint32(b[0:], commitRecordMagic)
	binary.LittleEndian.PutUint64(b[4:], uint64(txid))
	binary.LittleEndian.PutUint16(b[12:], r.flags)
	binary.LittleEndian.PutUint16(b[14:], uint16(len(r.extents)))
	binary.LittleEndian.PutUint32(b[16:], r.sum)
	off := commitRecordHeader
	for _, e := range r.extents {
		binary.LittleEndian.PutUint64(b[off:], uint64(e.id))
		binary.LittleEndian.PutUint32(b[off+8:], e.count)
		off += commitExtentSize
	}
	binary.LittleEndian.PutUint32(b[20:], crc32.Checksum(b[:off], crcTable))
}

var errIncompleteCommit = errors.New("the pages of the last commit are not all on disk")

// readCommitRecord parses the record of a meta page; ok is false when the
// page has none (a meta written by upstream bbolt).
func readCommitRecord(page []byte, txid common.Txid) (r *commitRecord, ok bool, err error) {
	if len(page) < commitRecordEnd*2 {
		return nil, false, nil
	}
	b := page[commitRecordOffset:commitRecordEnd]
	if binary.LittleEndian.Uint32(b[0:]) != commitRecordMagic {
		return nil, false, nil
	}
	n := int(binary.LittleEndian.Uint16(b[14:]))
	if n > maxCommitExtents {
		return nil, true, fmt.Errorf("commit record: %d extents", n)
	}
	end := commitRecordHeader + n*commitExtentSize
	var head [commitRecordHeader]byte
	copy(head[:], b[:commitRecordHeader])
	binary.LittleEndian.PutUint32(head[20:], 0)
	sum := crc32.Update(crc32.Checksum(head[:], crcTable), crcTable, b[commitRecordHeader:end])
	if sum != binary.LittleEndian.Uint32(b[20:]) {
		return nil, true, errors.New("commit record: checksum mismatch (torn meta page)")
	}
	if common.Txid(binary.LittleEndian.Uint64(b[4:])) != txid {
		return nil, true, errors.New("commit record: written for another transaction")
	}
	r = &commitRecord{flags: binary.LittleEndian.Uint16(b[12:]), sum: binary.LittleEndian.Uint32(b[16:])}
	for off := commitRecordHeader; off < end; off += commitExtentSize {
		r.extents = append(r.extents, commitExtent{
			id: common.Pgid(binary.LittleEndian.Uint64(b[off:])), count: binary.LittleEndian.Uint32(b[off+8:])})
	}
	return r, true, nil
}

// checkCommit reports whether every page the record names is on disk as
// it was written, reading them through the mmap.
func (db *DB) checkCommit(r *commitRecord) error {
	if r.flags&commitSynced != 0 {
		return nil
	}
	// The file's size, not the mmap's: the map is rounded up past the end
	// of the file, and reading there faults (SIGBUS). With NoGrowSync the
	// file is extended by the page writes alone, so a crash may keep the
	// meta page but lose the extension: pages past the end did not land.
	fileSize, err := db.fileSize()
	if err != nil {
		return err
	}
	var sum uint32
	for _, e := range r.extents {
		start, size := int(e.id)*db.pageSize, int(e.count)*db.pageSize
		if e.count == 0 || start < 2*db.pageSize {
			return fmt.Errorf("commit record: pages %d+%d are not data pages", e.id, e.count)
		}
		if end := start + size; end > fileSize || end > db.datasz {
			return fmt.Errorf("%w: pages %d+%d end past the file (%d bytes)", errIncompleteCommit, e.id, e.count, fileSize)
		}
		sum = crc32.Update(sumExtentID(sum, e.id), crcTable, db.data[start:start+size])
	}
	if sum != r.sum {
		return errIncompleteCommit
	}
	return nil
}

// recoverLastCommit runs at Open: when the newest meta page's commit did
// not reach the disk whole, it erases that meta page, so that the
// previous commit, which did, is the database.
func (db *DB) recoverLastCommit() error {
	newest, older := 0, 1
	if db.meta1.Txid() > db.meta0.Txid() {
		newest, older = 1, 0
	}
	metas := [2]*common.Meta{db.meta0, db.meta1}
	if metas[newest].Validate() != nil {
		return nil // upstream already falls back to the older meta
	}
	page := unsafe.Slice((*byte)(unsafe.Pointer(db.page(common.Pgid(newest)))), db.pageSize)
	r, ok, err := readCommitRecord(page, metas[newest].Txid())
	if !ok {
		return nil
	}
	if err == nil {
		err = db.checkCommit(r)
	}
	if err == nil {
		return nil
	}
	if metas[older].Validate() != nil {
		return fmt.Errorf("bbolt: newest meta page unusable (%v) and the older one invalid", err)
	}
	if db.readOnly {
		return fmt.Errorf("bbolt: %v; open the database read-write once to roll back to the previous commit", err)
	}
	db.Logger().Warningf("bbolt: rolling back to transaction %d: %v", metas[older].Txid(), err)
	if werr := db.eraseMeta(common.Pgid(newest)); werr != nil {
		return werr
	}
	return fdatasync(db)
}

// eraseMeta writes meta page id back without a meta, so that the other
// meta page is the database. The page header stays, for tools that check
// every page's type.
func (db *DB) eraseMeta(id common.Pgid) error {
	buf := make([]byte, db.pageSize)
	p := db.pageInBuffer(buf, 0)
	p.SetId(id)
	p.SetFlags(common.MetaPageFlag)
	_, err := db.ops.writeAt(buf, int64(id)*int64(db.pageSize))
	return err
}

// unpublishFailedCommit runs when the one fdatasync of a commit fails:
// the meta page is written, and bolt would read it (through the mmap) as
// the database from now on, though its pages may never reach the disk.
// Upstream had synced the pages before writing the meta, so only the meta
// was in doubt. Erasing it makes the previous commit current again, on
// disk and in this process; the erase is best effort (the disk is
// failing), and a commit that did reach the disk is the one that is lost.
func (tx *Tx) unpublishFailedCommit() {
	if tx.commit == nil || tx.commit.flags&commitSynced != 0 {
		return
	}
	if err := tx.db.eraseMeta(common.Pgid(tx.meta.Txid() % 2)); err != nil {
		tx.db.Logger().Errorf("bbolt: erasing the meta page of failed commit %d: %v", tx.meta.Txid(), err)
	}
}
