// SPDX-License-Identifier: GPL-2.0
/*
 * btfids.c - fill in a module's BTF ID sets (section .BTF_ids) from its BTF
 *
 *   btfids BASE MODULE.ko     BASE: the kernel's vmlinux (ELF or raw BTF)
 *
 * The kernel's BTF_ID() and BTF_SET8_*() macros leave zeros for a build step
 * to fill in: tools/bpf/resolve_btfids, run by kbuild when it adds BTF to a
 * module.  kmod/Makefile adds the BTF itself (header packages ship no
 * vmlinux, so kbuild's step never runs), and only a kernel tree built from
 * source has resolve_btfids; this does the part gpu_dma_lock.ko needs, for
 * any kernel: BTF_ID(func, name) entries get the id of function @name in
 * the module's BTF, and each set8 its count and its entries sorted by id
 * (the kernel finds a kfunc in a set by binary search).  Anything else in
 * the section is an error, not silently left zero.
 */
#include <bpf/btf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PREFIX	"__BTF_ID__"
#define FUNC	PREFIX "func__"
#define SET8	PREFIX "set8__"

struct pair {
	uint32_t id;
	uint32_t flags;
};

static int fail(const char *what, const char *detail)
{
	fprintf(stderr, "btfids: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
	return 1;
}

static int by_id(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* "__BTF_ID__func__NAME__N" -> NAME (in @buf) */
static const char *func_name(const char *sym, char *buf, size_t len)
{
	const char *end = strrchr(sym, '_');

	if (!end || end - sym < (long)strlen(FUNC) + 2 || end[-1] != '_')
		return NULL;
	end--;
	if ((size_t)(end - sym - strlen(FUNC)) >= len)
		return NULL;
	memcpy(buf, sym + strlen(FUNC), end - sym - strlen(FUNC));
	buf[end - sym - strlen(FUNC)] = 0;
	return buf;
}

int main(int argc, char **argv)
{
	struct btf *base, *btf;
	size_t shstrndx, ids_idx = 0;
	GElf_Shdr ids_shdr, shdr;
	Elf_Scn *scn = NULL, *symscn = NULL;
	int fd, funcs = 0, sets = 0;
	Elf_Data *syms;
	Elf *elf;

	if (argc != 3) {
		fprintf(stderr, "usage: btfids BASE_VMLINUX MODULE.ko\n");
		return 2;
	}
	base = btf__parse(argv[1], NULL);
	if (!base)
		return fail(argv[1], strerror(errno));
	btf = btf__parse_split(argv[2], base);
	if (!btf)
		return fail(argv[2], "no BTF (run pahole -J first)");

	elf_version(EV_CURRENT);
	fd = open(argv[2], O_RDWR);
	if (fd < 0)
		return fail(argv[2], strerror(errno));
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_getshdrstrndx(elf, &shstrndx))
		return fail(argv[2], elf_errmsg(-1));
	while ((scn = elf_nextscn(elf, scn))) {
		const char *name;

		gelf_getshdr(scn, &shdr);
		name = elf_strptr(elf, shstrndx, shdr.sh_name);
		if (name && !strcmp(name, ".BTF_ids")) {
			ids_idx = elf_ndxscn(scn);
			ids_shdr = shdr;
		}
		if (shdr.sh_type == SHT_SYMTAB)
			symscn = scn;
	}
	if (!ids_idx) {
		puts("btfids: no .BTF_ids section: nothing to do");
		return 0;
	}
	if (!symscn)
		return fail(argv[2], "no symbol table");
	gelf_getshdr(symscn, &shdr);
	syms = elf_getdata(symscn, NULL);

	/* Entries first, then the sets they sit in (count, sorted). */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < shdr.sh_size / shdr.sh_entsize; i++) {
			const char *name;
			char fname[256];
			GElf_Sym sym;
			off_t at;

			gelf_getsym(syms, i, &sym);
			name = elf_strptr(elf, shdr.sh_link, sym.st_name);
			if (sym.st_shndx != ids_idx || !name || strncmp(name, PREFIX, strlen(PREFIX)))
				continue;
			/* A relocatable object: st_value is the offset in the section. */
			at = ids_shdr.sh_offset + sym.st_value;
			if (!strncmp(name, FUNC, strlen(FUNC))) {
				int32_t id;

				if (pass)
					continue;
				if (!func_name(name, fname, sizeof(fname)))
					return fail("bad symbol", name);
				id = btf__find_by_name_kind(btf, fname, BTF_KIND_FUNC);
				if (id < 0)
					return fail("no such function in the module's BTF", fname);
				if (pwrite(fd, &id, sizeof(id), at) != sizeof(id))
					return fail(argv[2], strerror(errno));
				funcs++;
			} else if (!strncmp(name, SET8, strlen(SET8))) {
				uint32_t cnt = (sym.st_size - 8) / sizeof(struct pair);
				struct pair *p;

				if (!pass)
					continue;
				if (sym.st_size < 8 || (sym.st_size - 8) % sizeof(struct pair))
					return fail("bad set size", name);
				p = calloc(cnt ? cnt : 1, sizeof(*p));
				if (!p || pread(fd, p, cnt * sizeof(*p), at + 8) != (ssize_t)(cnt * sizeof(*p)))
					return fail(argv[2], "cannot read a set");
				qsort(p, cnt, sizeof(*p), by_id);
				if (pwrite(fd, &cnt, sizeof(cnt), at) != sizeof(cnt) ||
				    pwrite(fd, p, cnt * sizeof(*p), at + 8) != (ssize_t)(cnt * sizeof(*p)))
					return fail(argv[2], strerror(errno));
				free(p);
				sets++;
			} else if (strcmp(name + strlen(PREFIX), "set8") && pass == 0) {
				return fail("BTF ID kind not handled", name);
			}
		}
	}
	elf_end(elf);
	if (close(fd))
		return fail(argv[2], strerror(errno));
	printf("btfids: %s: %d functions, %d sets\n", argv[2], funcs, sets);
	btf__free(btf);
	btf__free(base);
	return 0;
}
