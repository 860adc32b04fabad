/**
 * libbpf (Debian's libbpf.so.1, 1.1.x) through koffi: open a BPF object
 * file, set its read-only tunables and map sizes before load, load it,
 * attach programs (tracepoints by section, uprobes by function name), read
 * per-CPU counters, and tear everything down.
 *
 * Only agent/src/native/ imports koffi. libbpf runs in "1.0 mode": functions
 * returning int give -errno, functions returning a pointer give NULL and set
 * errno. Both become a BpfError with the operation, errno and libbpf's text.
 * libbpf's own messages (libbpf_set_print) become log records.
 */
import koffi from 'koffi';

/** A libbpf failure: which operation, the errno, and libbpf's message. */
export class BpfError extends Error {
  override readonly name = 'BpfError';
  constructor(
    readonly op: string,
    readonly errno: number,
    message: string,
  ) {
    super(`${op}: ${message} (errno ${errno})`);
  }
}

export type LibbpfLogLevel = 'warn' | 'info' | 'debug';
export interface LibbpfLogRecord {
  level: LibbpfLogLevel;
  message: string;
}
export type LibbpfLogger = (record: LibbpfLogRecord) => void;

/* enum bpf_map_type values this module cares about (uapi/linux/bpf.h). */
export const BPF_MAP_TYPE_PERCPU_ARRAY = 6;
export const BPF_MAP_TYPE_RINGBUF = 27;
const BTF_KIND_VAR = 14;
const BTF_KIND_DATASEC = 15;

type Ptr = bigint;

// ---- bindings -------------------------------------------------------------

const lib = koffi.load('libbpf.so.1');
const libc = koffi.load('libc.so.6');

const printFnType = koffi.proto('int gdl_libbpf_print_fn(int level, void *fmt, void *args)');

/* struct bpf_uprobe_opts (libbpf.h, 1.1): sz, ref_ctr_offset, bpf_cookie, retprobe, func_name */
const UprobeOpts = koffi.struct('gdl_bpf_uprobe_opts', {
  sz: 'size_t',
  ref_ctr_offset: 'size_t',
  bpf_cookie: 'uint64_t',
  retprobe: 'bool',
  func_name: 'const char *',
});

const fn = {
  majorVersion: lib.func('uint32_t libbpf_major_version(void)'),
  minorVersion: lib.func('uint32_t libbpf_minor_version(void)'),
  setPrint: lib.func('void *libbpf_set_print(void *fn)'),
  strerror: lib.func('int libbpf_strerror(int err, _Out_ char *buf, size_t size)'),
  numPossibleCpus: lib.func('int libbpf_num_possible_cpus(void)'),
  objOpenFile: lib.func('void *bpf_object__open_file(const char *path, void *opts)'),
  objLoad: lib.func('int bpf_object__load(void *obj)'),
  objClose: lib.func('void bpf_object__close(void *obj)'),
  objBtf: lib.func('void *bpf_object__btf(void *obj)'),
  objNextProgram: lib.func('void *bpf_object__next_program(void *obj, void *prog)'),
  objNextMap: lib.func('void *bpf_object__next_map(void *obj, void *map)'),
  progName: lib.func('const char *bpf_program__name(void *prog)'),
  progSection: lib.func('const char *bpf_program__section_name(void *prog)'),
  progSetAutoload: lib.func('int bpf_program__set_autoload(void *prog, bool autoload)'),
  progAttach: lib.func('void *bpf_program__attach(void *prog)'),
  progAttachUprobe: lib.func(
    'void *bpf_program__attach_uprobe_opts(void *prog, int pid, const char *path, size_t offset, const gdl_bpf_uprobe_opts *opts)',
  ),
  linkDestroy: lib.func('int bpf_link__destroy(void *link)'),
  mapName: lib.func('const char *bpf_map__name(void *map)'),
  mapFd: lib.func('int bpf_map__fd(void *map)'),
  mapType: lib.func('int bpf_map__type(void *map)'),
  mapValueSize: lib.func('uint32_t bpf_map__value_size(void *map)'),
  mapMaxEntries: lib.func('uint32_t bpf_map__max_entries(void *map)'),
  mapSetMaxEntries: lib.func('int bpf_map__set_max_entries(void *map, uint32_t n)'),
  mapInitialValue: lib.func('void *bpf_map__initial_value(void *map, _Out_ size_t *size)'),
  mapReuseFd: lib.func('int bpf_map__reuse_fd(void *map, int fd)'),
  mapLookupElem: lib.func('int bpf_map_lookup_elem(int fd, void *key, void *value)'),
  btfFindByNameKind: lib.func('int btf__find_by_name_kind(void *btf, const char *name, uint32_t kind)'),
  btfTypeById: lib.func('void *btf__type_by_id(void *btf, uint32_t id)'),
  btfNameByOffset: lib.func('const char *btf__name_by_offset(void *btf, uint32_t off)'),
  vsnprintf: libc.func('int vsnprintf(void *buf, size_t size, void *fmt, void *args)'),
};

// ---- errors and logging ---------------------------------------------------

function strerror(errno: number): string {
  const buf = Buffer.alloc(256);
  fn.strerror(errno, buf, buf.length);
  const end = buf.indexOf(0);
  return buf.toString('utf8', 0, end < 0 ? buf.length : end);
}

function fail(op: string, errno: number): never {
  const e = Math.abs(errno) || 5; /* EIO when libbpf forgot to say */
  throw new BpfError(op, e, strerror(e));
}

/** libbpf int convention: negative is -errno. */
function check(op: string, ret: number): number {
  if (ret < 0) fail(op, ret);
  return ret;
}

/** libbpf pointer convention: NULL and errno. */
function checkPtr(op: string, ptr: Ptr | null): Ptr {
  if (ptr === null || ptr === 0n) fail(op, koffi.errno());
  return ptr;
}

const LEVELS: readonly LibbpfLogLevel[] = ['warn', 'info', 'debug'];
let printCallback: bigint | null = null;
let logger: LibbpfLogger | null = null;
const logBuf = Buffer.alloc(4096);

/**
 * Route libbpf's messages to @log (null: back to libbpf's default, stderr).
 * The callback only runs during synchronous libbpf calls on this thread.
 */
export function setLibbpfLogger(log: LibbpfLogger | null): void {
  logger = log;
  if (log && printCallback === null) {
    printCallback = koffi.register((level: number, fmt: Ptr, args: Ptr): number => {
      // va_list on x86-64 is a pointer to the register save area: pass it on.
      const n = fn.vsnprintf(logBuf, logBuf.length, fmt, args);
      const len = Math.max(0, Math.min(n, logBuf.length - 1));
      const message = logBuf.toString('utf8', 0, len).replace(/\n$/, '');
      logger?.({ level: LEVELS[level] ?? 'debug', message });
      return 0;
    }, koffi.pointer(printFnType));
    fn.setPrint(printCallback);
  } else if (!log && printCallback !== null) {
    fn.setPrint(null);
    koffi.unregister(printCallback);
    printCallback = null;
  }
}

export function libbpfVersion(): string {
  return `${fn.majorVersion()}.${fn.minorVersion()}`;
}

let possibleCpus = 0;
export function numPossibleCpus(): number {
  if (!possibleCpus) possibleCpus = check('libbpf_num_possible_cpus', fn.numPossibleCpus());
  return possibleCpus;
}

// ---- objects, programs, maps, links ---------------------------------------

export class BpfLink {
  #ptr: Ptr | null;
  constructor(
    ptr: Ptr,
    readonly program: string,
    readonly target: string,
  ) {
    this.#ptr = ptr;
  }
  get attached(): boolean {
    return this.#ptr !== null;
  }
  /** Detach. Idempotent. */
  destroy(): void {
    if (this.#ptr === null) return;
    const p = this.#ptr;
    this.#ptr = null;
    check('bpf_link__destroy', fn.linkDestroy(p));
  }
}

export class BpfProgram {
  constructor(
    readonly ptr: Ptr,
    readonly name: string,
    readonly section: string,
  ) {}
}

export class BpfMap {
  constructor(
    readonly ptr: Ptr,
    readonly name: string,
  ) {}
  /** -1 (or throws in fd()) before the object is loaded. */
  get type(): number {
    return fn.mapType(this.ptr);
  }
  get valueSize(): number {
    return fn.mapValueSize(this.ptr);
  }
  get maxEntries(): number {
    return fn.mapMaxEntries(this.ptr);
  }
  /** Before load only: e.g. a ring's size in bytes (power of 2, >= page). */
  setMaxEntries(n: number): void {
    check(`bpf_map__set_max_entries(${this.name})`, fn.mapSetMaxEntries(this.ptr, n));
  }
  /** Before load only: use an existing map (e.g. share one ring between objects). */
  reuseFd(fd: number): void {
    check(`bpf_map__reuse_fd(${this.name})`, fn.mapReuseFd(this.ptr, fd));
  }
  fd(): number {
    return check(`bpf_map__fd(${this.name})`, fn.mapFd(this.ptr));
  }
}

/** One rodata variable, as the object's BTF places it. */
export interface RodataVar {
  name: string;
  offset: number;
  size: number;
}

export interface AttachUprobeOptions {
  /** Library or executable holding the function. */
  binaryPath: string;
  /** Symbol to resolve (libbpf reads the ELF symbol table). */
  funcName?: string;
  /** Offset in the binary, when not resolving by name. */
  offset?: number;
  retprobe?: boolean;
  /** -1 (default): every process. */
  pid?: number;
}

/**
 * A BPF object file: open, configure, load, attach, close. Every link made
 * through it is destroyed by close(), before the object itself.
 */
export class BpfObject {
  #ptr: Ptr | null;
  #links: BpfLink[] = [];
  #loaded = false;

  private constructor(
    ptr: Ptr,
    readonly path: string,
  ) {
    this.#ptr = ptr;
  }

  static open(path: string): BpfObject {
    return new BpfObject(checkPtr(`bpf_object__open_file(${path})`, fn.objOpenFile(path, null)), path);
  }

  get loaded(): boolean {
    return this.#loaded;
  }

  get links(): readonly BpfLink[] {
    return this.#links;
  }

  private get ptr(): Ptr {
    if (this.#ptr === null) throw new BpfError('bpf_object', 9 /* EBADF */, `${this.path} is closed`);
    return this.#ptr;
  }

  programs(): BpfProgram[] {
    const out: BpfProgram[] = [];
    for (let p: Ptr | null = fn.objNextProgram(this.ptr, null); p; p = fn.objNextProgram(this.ptr, p)) {
      out.push(new BpfProgram(p, fn.progName(p), fn.progSection(p)));
    }
    return out;
  }

  program(name: string): BpfProgram {
    const p = this.programs().find((x) => x.name === name);
    if (!p) throw new BpfError('bpf_object__find_program', 2, `no program ${name} in ${this.path}`);
    return p;
  }

  maps(): BpfMap[] {
    const out: BpfMap[] = [];
    for (let m: Ptr | null = fn.objNextMap(this.ptr, null); m; m = fn.objNextMap(this.ptr, m)) {
      out.push(new BpfMap(m, fn.mapName(m)));
    }
    return out;
  }

  /** By name; internal maps are named like "<obj>.rodata" (truncated), so match by suffix too. */
  map(name: string): BpfMap {
    const all = this.maps();
    const m = all.find((x) => x.name === name) ?? all.find((x) => name.startsWith('.') && x.name.endsWith(name));
    if (!m) throw new BpfError('bpf_object__find_map', 2, `no map ${name} in ${this.path}`);
    return m;
  }

  /** Only the programs named here are loaded (and attachable); the rest are skipped. */
  setAutoload(names: readonly string[]): void {
    const want = new Set(names);
    for (const p of this.programs()) {
      check(`bpf_program__set_autoload(${p.name})`, fn.progSetAutoload(p.ptr, want.has(p.name)));
    }
  }

  /**
   * The variables of .rodata with offsets from the object's BTF (libbpf
   * fixes the DATASEC offsets at open), so nothing is hard-coded.
   */
  rodataVars(): RodataVar[] {
    const btf: Ptr | null = fn.objBtf(this.ptr);
    if (!btf) throw new BpfError('bpf_object__btf', 2, `${this.path} has no BTF`);
    const id = check('btf__find_by_name_kind(.rodata)', fn.btfFindByNameKind(btf, '.rodata', BTF_KIND_DATASEC));
    const sec = checkPtr('btf__type_by_id', fn.btfTypeById(btf, id));
    // struct btf_type { u32 name_off; u32 info; u32 size; } then vlen x
    // struct btf_var_secinfo { u32 type; u32 offset; u32 size; }
    const head = new DataView(koffi.view(sec, 12));
    const vlen = head.getUint32(4, true) & 0xffff;
    const secinfo = new DataView(koffi.view(sec + 12n, vlen * 12));
    const out: RodataVar[] = [];
    for (let i = 0; i < vlen; i++) {
      const varId = secinfo.getUint32(i * 12, true);
      const v = new DataView(koffi.view(checkPtr('btf__type_by_id', fn.btfTypeById(btf, varId)), 12));
      if (((v.getUint32(4, true) >>> 24) & 0x1f) !== BTF_KIND_VAR) continue;
      out.push({
        name: fn.btfNameByOffset(btf, v.getUint32(0, true)),
        offset: secinfo.getUint32(i * 12 + 4, true),
        size: secinfo.getUint32(i * 12 + 8, true),
      });
    }
    return out;
  }

  /**
   * Set const volatile tunables before load. Unknown names and values that
   * do not fit the variable are errors, not silently ignored.
   */
  setRodata(values: Readonly<Record<string, number | bigint>>): void {
    if (this.#loaded) throw new BpfError('set_rodata', 16 /* EBUSY */, 'object already loaded');
    const vars = new Map(this.rodataVars().map((v) => [v.name, v]));
    const sizeOut = [0];
    const base = checkPtr('bpf_map__initial_value(.rodata)', fn.mapInitialValue(this.map('.rodata').ptr, sizeOut));
    const data = new DataView(koffi.view(base, sizeOut[0] ?? 0));
    for (const [name, value] of Object.entries(values)) {
      const v = vars.get(name);
      if (!v) throw new BpfError('set_rodata', 2, `no rodata variable ${name} in ${this.path}`);
      const big = BigInt(value);
      if (big < 0n || big >= 1n << BigInt(v.size * 8)) {
        throw new BpfError('set_rodata', 34 /* ERANGE */, `${name}=${big} does not fit ${v.size} bytes`);
      }
      switch (v.size) {
        case 1: data.setUint8(v.offset, Number(big)); break;
        case 2: data.setUint16(v.offset, Number(big), true); break;
        case 4: data.setUint32(v.offset, Number(big), true); break;
        case 8: data.setBigUint64(v.offset, big, true); break;
        default: throw new BpfError('set_rodata', 22, `${name}: unsupported size ${v.size}`);
      }
    }
  }

  /** The current value of every .rodata variable (before load: what load will freeze). */
  readRodata(): Record<string, bigint> {
    const sizeOut = [0];
    const base = checkPtr('bpf_map__initial_value(.rodata)', fn.mapInitialValue(this.map('.rodata').ptr, sizeOut));
    const data = new DataView(koffi.view(base, sizeOut[0] ?? 0));
    const out: Record<string, bigint> = {};
    for (const v of this.rodataVars()) {
      out[v.name] = v.size === 8 ? data.getBigUint64(v.offset, true)
        : v.size === 4 ? BigInt(data.getUint32(v.offset, true))
        : v.size === 2 ? BigInt(data.getUint16(v.offset, true))
        : BigInt(data.getUint8(v.offset));
    }
    return out;
  }

  load(): void {
    check(`bpf_object__load(${this.path})`, fn.objLoad(this.ptr));
    this.#loaded = true;
  }

  /**
   * Attach by section (tp_btf/..., raw_tp/..., tracepoints, kprobes): all loaded
   * programs, or the named ones. Programs with a section libbpf cannot
   * auto-attach (bare "uprobe") must go through attachUprobe().
   */
  attach(names?: readonly string[]): BpfLink[] {
    const progs = names ? names.map((n) => this.program(n)) : this.programs();
    const made: BpfLink[] = [];
    try {
      for (const p of progs) {
        const link = checkPtr(`bpf_program__attach(${p.name})`, fn.progAttach(p.ptr));
        made.push(new BpfLink(link, p.name, p.section));
      }
    } catch (e) {
      for (const l of made) l.destroy();
      throw e;
    }
    this.#links.push(...made);
    return made;
  }

  attachUprobe(program: string, o: AttachUprobeOptions): BpfLink {
    const p = this.program(program);
    const opts = { sz: koffi.sizeof(UprobeOpts), ref_ctr_offset: 0, bpf_cookie: 0n, retprobe: !!o.retprobe, func_name: o.funcName ?? null };
    const what = `${o.binaryPath}:${o.funcName ?? `+${o.offset ?? 0}`}${o.retprobe ? ' (return)' : ''}`;
    const link = checkPtr(
      `bpf_program__attach_uprobe_opts(${program}, ${what})`,
      fn.progAttachUprobe(p.ptr, o.pid ?? -1, o.binaryPath, o.offset ?? 0, opts),
    );
    const l = new BpfLink(link, program, what);
    this.#links.push(l);
    return l;
  }

  /** Destroy every link, then the object (programs and maps go with it). Idempotent. */
  close(): void {
    if (this.#ptr === null) return;
    let firstError: unknown;
    for (const l of this.#links.splice(0).reverse()) {
      try {
        l.destroy();
      } catch (e) {
        firstError ??= e;
      }
    }
    fn.objClose(this.#ptr);
    this.#ptr = null;
    if (firstError) throw firstError;
  }
}

/**
 * Sum each slot of a per-CPU array of u64 (e.g. the "counters" map) over
 * every possible CPU. A per-CPU lookup fills one value per possible CPU,
 * each rounded up to 8 bytes.
 */
export function readPercpuCounters(fd: number, slots: number): bigint[] {
  const cpus = numPossibleCpus();
  const values = Buffer.alloc(8 * cpus);
  const key = Buffer.alloc(4);
  const out: bigint[] = [];
  for (let slot = 0; slot < slots; slot++) {
    key.writeUInt32LE(slot);
    check(`bpf_map_lookup_elem(fd ${fd}, ${slot})`, fn.mapLookupElem(fd, key, values));
    let sum = 0n;
    for (let cpu = 0; cpu < cpus; cpu++) sum += values.readBigUInt64LE(cpu * 8);
    out.push(sum);
  }
  return out;
}
