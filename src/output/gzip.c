// SPDX-License-Identifier: Apache-2.0
#include "output/gzip.h"

#include <endian.h>
#include <errno.h>
#include <libdeflate.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Uncompressed bytes per piece: big enough that the lost window costs nothing, small enough to keep
 * memory flat. */
#define PIECE_SIZE (1u << 20)

/* ---- walking a raw deflate stream ---- */

/* A 64-bit bit buffer over the input; bits past the end read as zero and are counted. */
struct bitreader {
	const uint8_t *p, *end;
	uint64_t buf;
	unsigned cnt;	   /* valid bits in buf */
	uint64_t consumed; /* bytes moved into buf, including virtual zero bytes past the end */
	uint64_t len_bits;
};

static inline __attribute__((always_inline)) void br_refill(struct bitreader *b)
{
	if (b->end - b->p >= 8) {
		uint64_t v;
		memcpy(&v, b->p, 8);
		v = le64toh(v);
		b->buf |= v << b->cnt;
		unsigned take = (63 - b->cnt) >> 3;
		b->p += take;
		b->consumed += take;
		b->cnt |= 56;
		return;
	}
	while (b->cnt <= 56) {
		uint64_t byte = b->p < b->end ? *b->p++ : 0;
		b->buf |= byte << b->cnt;
		b->cnt += 8;
		b->consumed++;
	}
}

static uint64_t br_pos(const struct bitreader *b)
{
	return b->consumed * 8 - b->cnt;
}

static int br_drop(struct bitreader *b, unsigned n)
{
	b->buf >>= n;
	b->cnt -= n;
	return br_pos(b) <= b->len_bits ? 0 : -1;
}

/* n <= 32 bits */
static int br_bits(struct bitreader *b, unsigned n, uint32_t *v)
{
	if (b->cnt < n)
		br_refill(b);
	*v = (uint32_t)(b->buf & ((1ull << n) - 1));
	return br_drop(b, n);
}

/*
 * A canonical Huffman code as a two-level lookup table: 2^HUFF_PRIMARY entries
 * indexed by the next bits, and sub-tables for longer codes. An entry is
 * (symbol << 16) | length, or (offset << 16) | HUFF_SUB | sub-table bits.
 */
#define HUFF_PRIMARY 10
#define HUFF_SUB 0x100u
struct huff {
	uint32_t table[(1u << HUFF_PRIMARY) + (1u << 15)];
};

static unsigned bit_reverse(unsigned code, unsigned len)
{
	unsigned r = 0;

	for (unsigned i = 0; i < len; i++) {
		r = (r << 1) | (code & 1);
		code >>= 1;
	}
	return r;
}

static int huff_build(struct huff *h, const uint8_t *lens, unsigned n)
{
	unsigned count[16] = { 0 }, next[16] = { 0 }, code = 0, maxlen = 0;
	unsigned next_free = 1u << HUFF_PRIMARY;

	for (unsigned i = 0; i < n; i++) {
		count[lens[i]]++;
		if (lens[i] > maxlen)
			maxlen = lens[i];
	}
	count[0] = 0;
	for (unsigned bits = 1; bits < 16; bits++) {
		code = (code + count[bits - 1]) << 1;
		next[bits] = code;
	}
	memset(h->table, 0, sizeof(uint32_t) << HUFF_PRIMARY);
	unsigned sub_bits = maxlen > HUFF_PRIMARY ? maxlen - HUFF_PRIMARY : 0;
	for (unsigned sym = 0; sym < n; sym++) {
		unsigned len = lens[sym];
		if (!len)
			continue;
		unsigned c = next[len]++;
		if (c >= (1u << len))
			return -1; /* over-subscribed */
		unsigned r = bit_reverse(c, len);
		if (len <= HUFF_PRIMARY) {
			for (unsigned i = r; i < (1u << HUFF_PRIMARY); i += 1u << len)
				h->table[i] = (sym << 16) | len;
			continue;
		}
		unsigned prefix = r & ((1u << HUFF_PRIMARY) - 1);
		uint32_t link = h->table[prefix];
		if (!(link & HUFF_SUB)) {
			if (next_free + (1u << sub_bits) > ARRAY_SIZE(h->table))
				return -1;
			link = (next_free << 16) | HUFF_SUB | sub_bits;
			memset(h->table + next_free, 0, sizeof(uint32_t) << sub_bits);
			next_free += 1u << sub_bits;
			h->table[prefix] = link;
		}
		unsigned base = link >> 16, rest_len = len - HUFF_PRIMARY;
		for (unsigned i = r >> HUFF_PRIMARY; i < (1u << sub_bits); i += 1u << rest_len)
			h->table[base + i] = (sym << 16) | rest_len;
	}
	return 0;
}

static int huff_decode(const struct huff *h, struct bitreader *b, unsigned *sym)
{
	if (b->cnt < 32)
		br_refill(b);
	uint32_t e = h->table[b->buf & ((1u << HUFF_PRIMARY) - 1)];
	if (e & HUFF_SUB) {
		b->buf >>= HUFF_PRIMARY;
		b->cnt -= HUFF_PRIMARY;
		e = h->table[(e >> 16) + (b->buf & ((1u << (e & 0xff)) - 1))];
	}
	if (!(e & 0xff))
		return -1;
	*sym = e >> 16;
	return br_drop(b, e & 0xff);
}

static const uint8_t length_extra[29] = { 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
					  2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0 };
static const uint8_t dist_extra[30] = { 0, 0, 0, 0, 1, 1, 2, 2,	 3,  3,	 4,  4,	 5,  5,	 6,
					6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13 };

struct scan_tables {
	struct huff litlen, dist, codelen;
};

static int scan_block_codes(struct bitreader *b, const struct scan_tables *t)
{
	const uint32_t *lt = t->litlen.table, *dt = t->dist.table;
	const uint32_t pmask = (1u << HUFF_PRIMARY) - 1;
	const uint64_t limit = b->len_bits / 8 + 8;
	uint64_t buf = b->buf;
	unsigned cnt = b->cnt;

	for (;;) {
		/* one refill covers the longest symbol pair: 15 + 5 + 15 + 13 bits */
		if (cnt < 48) {
			b->buf = buf;
			b->cnt = cnt;
			br_refill(b);
			buf = b->buf;
			cnt = b->cnt;
			if (b->consumed > limit)
				return -1;
		}
		uint32_t e = lt[buf & pmask];
		if (e & HUFF_SUB) {
			buf >>= HUFF_PRIMARY;
			cnt -= HUFF_PRIMARY;
			e = lt[(e >> 16) + (buf & ((1u << (e & 0xff)) - 1))];
		}
		unsigned len = e & 0xff, sym = e >> 16;
		if (!len)
			return -1;
		buf >>= len;
		cnt -= len;
		if (sym < 256)
			continue;
		if (sym == 256)
			break;
		sym -= 257;
		if (sym >= 29)
			return -1;
		buf >>= length_extra[sym];
		cnt -= length_extra[sym];
		e = dt[buf & pmask];
		if (e & HUFF_SUB) {
			buf >>= HUFF_PRIMARY;
			cnt -= HUFF_PRIMARY;
			e = dt[(e >> 16) + (buf & ((1u << (e & 0xff)) - 1))];
		}
		len = e & 0xff;
		sym = e >> 16;
		if (!len || sym >= 30)
			return -1;
		buf >>= len + dist_extra[sym];
		cnt -= len + dist_extra[sym];
	}
	b->buf = buf;
	b->cnt = cnt;
	return br_pos(b) <= b->len_bits ? 0 : -1;
}

static int scan_dynamic_header(struct bitreader *b, struct scan_tables *t)
{
	static const uint8_t order[19] = { 16, 17, 18, 0, 8,  7, 9,  6, 10, 5,
					   11, 4,  12, 3, 13, 2, 14, 1, 15 };
	uint8_t cl[19] = { 0 }, lens[288 + 32] = { 0 };
	uint32_t hlit, hdist, hclen, v;

	if (br_bits(b, 5, &hlit) < 0 || br_bits(b, 5, &hdist) < 0 || br_bits(b, 4, &hclen) < 0)
		return -1;
	hlit += 257;
	hdist += 1;
	hclen += 4;
	if (hlit > 286 || hdist > 30)
		return -1;
	for (unsigned i = 0; i < hclen; i++) {
		if (br_bits(b, 3, &v) < 0)
			return -1;
		cl[order[i]] = (uint8_t)v;
	}
	if (huff_build(&t->codelen, cl, 19) < 0)
		return -1;
	for (unsigned i = 0; i < hlit + hdist;) {
		unsigned sym, rep;
		uint8_t val = 0;
		if (huff_decode(&t->codelen, b, &sym) < 0)
			return -1;
		if (sym < 16) {
			lens[i++] = (uint8_t)sym;
			continue;
		}
		if (sym == 16) {
			if (i == 0 || br_bits(b, 2, &v) < 0)
				return -1;
			val = lens[i - 1];
			rep = 3 + v;
		} else if (sym == 17) {
			if (br_bits(b, 3, &v) < 0)
				return -1;
			rep = 3 + v;
		} else {
			if (br_bits(b, 7, &v) < 0)
				return -1;
			rep = 11 + v;
		}
		if (i + rep > hlit + hdist)
			return -1;
		while (rep--)
			lens[i++] = val;
	}
	if (lens[256] == 0)
		return -1;
	if (huff_build(&t->litlen, lens, hlit) < 0 || huff_build(&t->dist, lens + hlit, hdist) < 0)
		return -1;
	return 0;
}

static void fixed_tables(struct scan_tables *t)
{
	uint8_t lens[288], dl[30];

	memset(lens, 8, 144);
	memset(lens + 144, 9, 112);
	memset(lens + 256, 7, 24);
	memset(lens + 280, 8, 8);
	memset(dl, 5, sizeof(dl));
	huff_build(&t->litlen, lens, 288);
	huff_build(&t->dist, dl, 30);
}

static int deflate_scan(struct scan_tables *t, const uint8_t *data, size_t len, uint64_t *final_bit,
			uint64_t *end_bit)
{
	struct bitreader b = { .p = data, .end = data + len, .len_bits = (uint64_t)len * 8 };

	for (;;) {
		uint64_t hdr = br_pos(&b);
		uint32_t bfinal, btype;
		if (br_bits(&b, 1, &bfinal) < 0 || br_bits(&b, 2, &btype) < 0)
			return -1;
		if (btype == 0) {
			uint32_t l, nl;
			if (br_drop(&b, b.cnt & 7) < 0 || br_bits(&b, 16, &l) < 0 ||
			    br_bits(&b, 16, &nl) < 0 || (l ^ 0xffff) != nl)
				return -1;
			/* skip l bytes: the buffer holds whole bytes now */
			uint64_t target = br_pos(&b) + (uint64_t)l * 8;
			if (target > b.len_bits)
				return -1;
			b.p = data + (target >> 3);
			b.consumed = target >> 3;
			b.buf = 0;
			b.cnt = 0;
		} else if (btype == 1) {
			fixed_tables(t);
			if (scan_block_codes(&b, t) < 0)
				return -1;
		} else if (btype == 2) {
			if (scan_dynamic_header(&b, t) < 0 || scan_block_codes(&b, t) < 0)
				return -1;
		} else {
			return -1;
		}
		if (bfinal) {
			*final_bit = hdr;
			*end_bit = br_pos(&b);
			return 0;
		}
	}
}

int output_deflate_scan(const uint8_t *data, size_t len, uint64_t *final_bit, uint64_t *end_bit)
{
	struct scan_tables *t = xmalloc(sizeof(*t));
	int r = deflate_scan(t, data, len, final_bit, end_bit);

	free(t);
	return r;
}

/* ---- crc32 of concatenations (polynomial arithmetic modulo the CRC-32 polynomial) ---- */

#define CRC_POLY 0xedb88320u

static uint32_t multmodp(uint32_t a, uint32_t b)
{
	uint32_t m = 1u << 31, p = 0;

	for (;;) {
		if (a & m) {
			p ^= b;
			if ((a & (m - 1)) == 0)
				break;
		}
		m >>= 1;
		b = (b & 1) ? (b >> 1) ^ CRC_POLY : b >> 1;
	}
	return p;
}

static uint32_t x2n_table[32];
static pthread_once_t x2n_once = PTHREAD_ONCE_INIT;

static void x2n_init(void)
{
	uint32_t p = 1u << 30; /* x^1 */

	x2n_table[0] = p;
	for (unsigned n = 1; n < 32; n++)
		x2n_table[n] = p = multmodp(p, p);
}

uint32_t output_crc32_combine(uint32_t crc_a, uint32_t crc_b, uint64_t len_b)
{
	uint32_t p = 1u << 31; /* x^0 */
	unsigned k = 3;	       /* x^(8 * len_b) = x^(len_b * 2^3) */

	pthread_once(&x2n_once, x2n_init);
	while (len_b) {
		if (len_b & 1)
			p = multmodp(x2n_table[k & 31], p);
		len_b >>= 1;
		k++;
	}
	return multmodp(p, crc_a) ^ crc_b;
}

/* ---- the writer ---- */

enum piece_state { PIECE_FREE, PIECE_QUEUED, PIECE_BUSY, PIECE_DONE, PIECE_FAILED };

struct piece {
	uint8_t *in, *out;
	size_t in_len, out_len, out_cap;
	uint32_t crc;
	uint64_t seq;
	bool final;
	enum piece_state state;
};

struct output_gzip {
	int fd;
	int level;
	unsigned nthreads, npieces, cur;
	pthread_t *threads;
	pthread_mutex_t lock;
	pthread_cond_t work_cv, done_cv;
	struct piece *pieces;
	uint64_t next_seq;
	bool stop, finished, started;
	uint32_t crc;
	uint64_t isize, written;
};

static int splice_piece(struct scan_tables *t, struct piece *p)
{
	uint64_t final_bit, end_bit;

	if (deflate_scan(t, p->out, p->out_len, &final_bit, &end_bit) < 0)
		return -1;
	p->out[final_bit >> 3] &= (uint8_t) ~(1u << (final_bit & 7));
	if (end_bit & 7)
		p->out[end_bit >> 3] &= (uint8_t)((1u << (end_bit & 7)) - 1);
	/* an empty stored block: three zero header bits, zero padding, LEN 0, NLEN 0xffff */
	size_t n = (size_t)((end_bit + 3 + 7) >> 3);
	for (size_t i = (size_t)((end_bit + 7) >> 3); i < n; i++)
		p->out[i] = 0;
	p->out[n++] = 0;
	p->out[n++] = 0;
	p->out[n++] = 0xff;
	p->out[n++] = 0xff;
	p->out_len = n;
	return 0;
}

static void *worker_main(void *arg)
{
	struct output_gzip *g = arg;
	struct libdeflate_compressor *c = libdeflate_alloc_compressor(g->level);
	struct scan_tables *t = xmalloc(sizeof(*t));

	if (!c)
		abort();
	pthread_mutex_lock(&g->lock);
	for (;;) {
		struct piece *p = NULL;
		for (unsigned i = 0; i < g->npieces; i++) {
			struct piece *q = &g->pieces[i];
			if (q->state == PIECE_QUEUED && (!p || q->seq < p->seq))
				p = q;
		}
		if (!p) {
			if (g->stop)
				break;
			pthread_cond_wait(&g->work_cv, &g->lock);
			continue;
		}
		p->state = PIECE_BUSY;
		pthread_mutex_unlock(&g->lock);

		size_t n = libdeflate_deflate_compress(c, p->in, p->in_len, p->out, p->out_cap - 8);
		bool ok = n > 0;
		p->out_len = n;
		if (ok && !p->final)
			ok = splice_piece(t, p) == 0;
		p->crc = libdeflate_crc32(0, p->in, p->in_len);

		pthread_mutex_lock(&g->lock);
		p->state = ok ? PIECE_DONE : PIECE_FAILED;
		pthread_cond_broadcast(&g->done_cv);
	}
	pthread_mutex_unlock(&g->lock);
	libdeflate_free_compressor(c);
	free(t);
	return NULL;
}

static int write_out(struct output_gzip *g, const void *data, size_t len, struct uk_err *err)
{
	if (xwrite_all(g->fd, data, len) < 0)
		return uk_err_errno(err, "write compressed data");
	g->written += len;
	return 0;
}

int output_gzip_new(struct output_gzip **out, int fd, int level, unsigned threads,
		    struct uk_err *err)
{
	struct output_gzip *g = xcalloc(1, sizeof(*g));
	struct libdeflate_compressor *c = libdeflate_alloc_compressor(level);

	if (!c) {
		free(g);
		return uk_err_setc(err, EINVAL, "gzip level %d is not supported", level);
	}
	size_t bound = libdeflate_deflate_compress_bound(c, PIECE_SIZE) + 16;
	libdeflate_free_compressor(c);

	g->fd = fd;
	g->level = level;
	g->nthreads = threads ? threads : 1;
	g->npieces = g->nthreads * 2;
	g->pieces = xcalloc(g->npieces, sizeof(*g->pieces));
	for (unsigned i = 0; i < g->npieces; i++) {
		g->pieces[i].in = xmalloc(PIECE_SIZE);
		g->pieces[i].out_cap = bound;
		g->pieces[i].out = xmalloc(bound);
	}
	pthread_mutex_init(&g->lock, NULL);
	pthread_cond_init(&g->work_cv, NULL);
	pthread_cond_init(&g->done_cv, NULL);
	g->threads = xcalloc(g->nthreads, sizeof(*g->threads));
	for (unsigned i = 0; i < g->nthreads; i++) {
		int r = pthread_create(&g->threads[i], NULL, worker_main, g);
		if (r != 0) {
			g->nthreads = i;
			output_gzip_free(g);
			errno = r;
			return uk_err_errno(err, "start a compression thread");
		}
	}
	*out = g;
	return 0;
}

/* Waits for piece i (if in flight), writes its output and frees the slot. */
static int drain_piece(struct output_gzip *g, unsigned i, struct uk_err *err)
{
	struct piece *p = &g->pieces[i];

	pthread_mutex_lock(&g->lock);
	while (p->state == PIECE_QUEUED || p->state == PIECE_BUSY)
		pthread_cond_wait(&g->done_cv, &g->lock);
	enum piece_state st = p->state;
	pthread_mutex_unlock(&g->lock);
	if (st == PIECE_FREE)
		return 0;
	if (st == PIECE_FAILED)
		return uk_err_set(err, "compress: internal deflate error");
	if (write_out(g, p->out, p->out_len, err) < 0)
		return -1;
	g->crc = output_crc32_combine(g->crc, p->crc, p->in_len);
	g->isize += p->in_len;
	p->in_len = 0;
	p->final = false;
	p->state = PIECE_FREE;
	return 0;
}

static int start(struct output_gzip *g, struct uk_err *err)
{
	/* no name, no mtime, no extra flags, OS = Unix */
	static const uint8_t header[10] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3 };

	if (g->started)
		return 0;
	g->started = true;
	return write_out(g, header, sizeof(header), err);
}

static int submit(struct output_gzip *g, bool final, struct uk_err *err)
{
	struct piece *p = &g->pieces[g->cur];

	if (start(g, err) < 0)
		return -1;
	pthread_mutex_lock(&g->lock);
	p->final = final;
	p->seq = g->next_seq++;
	p->state = PIECE_QUEUED;
	pthread_cond_signal(&g->work_cv);
	pthread_mutex_unlock(&g->lock);
	g->cur = (g->cur + 1) % g->npieces;
	if (final)
		return 0;
	return drain_piece(g, g->cur, err);
}

int output_gzip_write(struct output_gzip *g, const void *data, size_t len, struct uk_err *err)
{
	const uint8_t *s = data;

	BUG_ON(g->finished);
	while (len) {
		struct piece *p = &g->pieces[g->cur];
		size_t n = PIECE_SIZE - p->in_len;
		if (n > len)
			n = len;
		memcpy(p->in + p->in_len, s, n);
		p->in_len += n;
		s += n;
		len -= n;
		if (p->in_len == PIECE_SIZE && submit(g, false, err) < 0)
			return -1;
	}
	return 0;
}

void *output_gzip_buffer(struct output_gzip *g, size_t *avail)
{
	struct piece *p = &g->pieces[g->cur];

	BUG_ON(g->finished);
	*avail = PIECE_SIZE - p->in_len;
	return p->in + p->in_len;
}

int output_gzip_commit(struct output_gzip *g, size_t len, struct uk_err *err)
{
	struct piece *p = &g->pieces[g->cur];

	BUG_ON(len > PIECE_SIZE - p->in_len);
	p->in_len += len;
	if (p->in_len == PIECE_SIZE && submit(g, false, err) < 0)
		return -1;
	return 0;
}

int output_gzip_finish(struct output_gzip *g, struct uk_err *err)
{
	uint8_t trailer[8];

	BUG_ON(g->finished);
	g->finished = true;
	if (submit(g, true, err) < 0)
		return -1;
	/* the ring from the oldest piece to the final one */
	for (unsigned k = 0; k < g->npieces; k++) {
		if (drain_piece(g, (g->cur + k) % g->npieces, err) < 0)
			return -1;
	}
	for (unsigned i = 0; i < 4; i++) {
		trailer[i] = (uint8_t)(g->crc >> (8 * i));
		trailer[4 + i] = (uint8_t)(g->isize >> (8 * i));
	}
	return write_out(g, trailer, sizeof(trailer), err);
}

uint64_t output_gzip_written(const struct output_gzip *g)
{
	return g->written;
}

void output_gzip_free(struct output_gzip *g)
{
	if (!g)
		return;
	pthread_mutex_lock(&g->lock);
	g->stop = true;
	pthread_cond_broadcast(&g->work_cv);
	pthread_mutex_unlock(&g->lock);
	for (unsigned i = 0; i < g->nthreads; i++)
		pthread_join(g->threads[i], NULL);
	for (unsigned i = 0; i < g->npieces; i++) {
		free(g->pieces[i].in);
		free(g->pieces[i].out);
	}
	free(g->pieces);
	free(g->threads);
	pthread_mutex_destroy(&g->lock);
	pthread_cond_destroy(&g->work_cv);
	pthread_cond_destroy(&g->done_cv);
	free(g);
}
