package dev.plinth.io.gguf;

import dev.plinth.LlamaCppLibrary;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * llama.cpp's own GGUF reader ({@code gguf_init_from_file} and getters in libggml-base.so),
 * called through java.lang.foreign. Test scope only. Only getters valid for each key's type are
 * called: llama.cpp aborts the process on a failed GGML_ASSERT.
 */
final class LlamaCppGguf {

    /** What llama.cpp read: values converted to Plinth's representation for comparison. */
    record Parsed(int version, long alignment, long dataOffset, List<String> keys, List<GgufValue> values,
                  List<Info> tensors) {
    }

    record Info(String name, int ggmlType, long offset, long byteSize, long[] ne) {
    }

    private static final Linker LINKER = Linker.nativeLinker();
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG;
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT;
    private static final java.lang.foreign.AddressLayout ADDR = ValueLayout.ADDRESS;
    /** struct gguf_init_params { bool no_alloc; struct ggml_context ** ctx; }, passed by value. */
    private static final StructLayout PARAMS = MemoryLayout.structLayout(
            ValueLayout.JAVA_BOOLEAN.withName("no_alloc"), MemoryLayout.paddingLayout(7), ADDR.withName("ctx"));

    private final MethodHandle initFromFile;
    private final MethodHandle free;
    private final MethodHandle version;
    private final MethodHandle alignment;
    private final MethodHandle dataOffset;
    private final MethodHandle nKv;
    private final MethodHandle key;
    private final MethodHandle kvType;
    private final MethodHandle arrType;
    private final MethodHandle arrN;
    private final MethodHandle arrData;
    private final MethodHandle arrStr;
    private final MethodHandle valData;
    private final MethodHandle valStr;
    private final MethodHandle nTensors;
    private final MethodHandle tensorName;
    private final MethodHandle tensorOffset;
    private final MethodHandle tensorType;
    private final MethodHandle tensorSize;
    private final MethodHandle tensorNe;
    private final MethodHandle typeSize;
    private final MethodHandle blockSize;
    private final StringBuilder log = new StringBuilder();

    /** Loads the library; skips the calling test when it is not installed. */
    LlamaCppGguf() {
        SymbolLookup lib = LlamaCppLibrary.ggmlBase();
        initFromFile = h(lib, "gguf_init_from_file", FunctionDescriptor.of(ADDR, ADDR, PARAMS));
        free = LINKER.downcallHandle(lib.findOrThrow("gguf_free"), FunctionDescriptor.ofVoid(ADDR));
        version = h(lib, "gguf_get_version", FunctionDescriptor.of(I32, ADDR));
        alignment = h(lib, "gguf_get_alignment", FunctionDescriptor.of(I64, ADDR));
        dataOffset = h(lib, "gguf_get_data_offset", FunctionDescriptor.of(I64, ADDR));
        nKv = h(lib, "gguf_get_n_kv", FunctionDescriptor.of(I64, ADDR));
        key = h(lib, "gguf_get_key", FunctionDescriptor.of(ADDR, ADDR, I64));
        kvType = h(lib, "gguf_get_kv_type", FunctionDescriptor.of(I32, ADDR, I64));
        arrType = h(lib, "gguf_get_arr_type", FunctionDescriptor.of(I32, ADDR, I64));
        arrN = h(lib, "gguf_get_arr_n", FunctionDescriptor.of(I64, ADDR, I64));
        arrData = h(lib, "gguf_get_arr_data", FunctionDescriptor.of(ADDR, ADDR, I64));
        arrStr = h(lib, "gguf_get_arr_str", FunctionDescriptor.of(ADDR, ADDR, I64, I64));
        valData = h(lib, "gguf_get_val_data", FunctionDescriptor.of(ADDR, ADDR, I64));
        valStr = h(lib, "gguf_get_val_str", FunctionDescriptor.of(ADDR, ADDR, I64));
        nTensors = h(lib, "gguf_get_n_tensors", FunctionDescriptor.of(I64, ADDR));
        tensorName = h(lib, "gguf_get_tensor_name", FunctionDescriptor.of(ADDR, ADDR, I64));
        tensorOffset = h(lib, "gguf_get_tensor_offset", FunctionDescriptor.of(I64, ADDR, I64));
        tensorType = h(lib, "gguf_get_tensor_type", FunctionDescriptor.of(I32, ADDR, I64));
        tensorSize = h(lib, "gguf_get_tensor_size", FunctionDescriptor.of(I64, ADDR, I64));
        tensorNe = h(lib, "gguf_get_tensor_ne", FunctionDescriptor.of(ADDR, ADDR, I64));
        typeSize = h(lib, "ggml_type_size", FunctionDescriptor.of(I64, I32));
        blockSize = h(lib, "ggml_blck_size", FunctionDescriptor.of(I64, I32));
        captureLog(lib);
    }

    private static MethodHandle h(SymbolLookup lib, String name, FunctionDescriptor fd) {
        return LINKER.downcallHandle(lib.findOrThrow(name), fd);
    }

    /** Routes ggml's log into {@link #lastLog()} instead of stderr. */
    private void captureLog(SymbolLookup lib) {
        try {
            MethodHandle target = MethodHandles.lookup().findVirtual(LlamaCppGguf.class, "onLog",
                    MethodType.methodType(void.class, int.class, MemorySegment.class, MemorySegment.class)).bindTo(this);
            MemorySegment stub = LINKER.upcallStub(target, FunctionDescriptor.ofVoid(I32, ADDR, ADDR), Arena.global());
            h(lib, "ggml_log_set", FunctionDescriptor.ofVoid(ADDR, ADDR)).invokeExact(stub, MemorySegment.NULL);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    private void onLog(int level, MemorySegment text, MemorySegment user) {
        synchronized (log) {
            log.append(text.reinterpret(1 << 16).getString(0));
        }
    }

    /** llama.cpp's log since the last read, e.g. why it rejected a file. */
    String lastLog() {
        synchronized (log) {
            String s = log.toString();
            log.setLength(0);
            return s;
        }
    }

    long ggmlTypeSize(int type) throws Throwable {
        return (long) typeSize.invokeExact(type);
    }

    long ggmlBlockSize(int type) throws Throwable {
        return (long) blockSize.invokeExact(type);
    }

    /** What llama.cpp reads from {@code file}, or null when it rejects it. */
    Parsed read(Path file) throws Throwable {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = arena.allocate(PARAMS);
            params.set(ValueLayout.JAVA_BOOLEAN, 0, true);
            params.set(ADDR, 8, MemorySegment.NULL); // no ggml context: metadata and tensor infos only
            MemorySegment ctx = (MemorySegment) initFromFile.invokeExact(arena.allocateFrom(file.toString()), params);
            if (ctx.equals(MemorySegment.NULL)) {
                return null;
            }
            try {
                return describe(ctx);
            } finally {
                free.invokeExact(ctx);
            }
        }
    }

    private Parsed describe(MemorySegment ctx) throws Throwable {
        List<String> keys = new ArrayList<>();
        List<GgufValue> values = new ArrayList<>();
        long n = (long) nKv.invokeExact(ctx);
        for (long i = 0; i < n; i++) {
            keys.add(str((MemorySegment) key.invokeExact(ctx, i)));
            GgufType t = GgufType.fromId((int) kvType.invokeExact(ctx, i));
            values.add(t == GgufType.ARRAY ? array(ctx, i) : scalar(ctx, i, t));
        }
        List<Info> infos = new ArrayList<>();
        long nt = (long) nTensors.invokeExact(ctx);
        for (long i = 0; i < nt; i++) {
            MemorySegment ne = ((MemorySegment) tensorNe.invokeExact(ctx, i)).reinterpret(32);
            infos.add(new Info(str((MemorySegment) tensorName.invokeExact(ctx, i)), (int) tensorType.invokeExact(ctx, i),
                    (long) tensorOffset.invokeExact(ctx, i), (long) tensorSize.invokeExact(ctx, i),
                    ne.toArray(ValueLayout.JAVA_LONG)));
        }
        return new Parsed((int) version.invokeExact(ctx), (long) alignment.invokeExact(ctx),
                (long) dataOffset.invokeExact(ctx), keys, values, infos);
    }

    private GgufValue scalar(MemorySegment ctx, long i, GgufType t) throws Throwable {
        if (t == GgufType.STRING) {
            return GgufValue.of(str((MemorySegment) valStr.invokeExact(ctx, i)));
        }
        MemorySegment data = ((MemorySegment) valData.invokeExact(ctx, i)).reinterpret(t.fixedBytes());
        return new GgufValue(t, new PackedList(t, data.toArray(ValueLayout.JAVA_BYTE)).get(0));
    }

    private GgufValue array(MemorySegment ctx, long i) throws Throwable {
        GgufType et = GgufType.fromId((int) arrType.invokeExact(ctx, i));
        long n = (long) arrN.invokeExact(ctx, i);
        if (et == GgufType.STRING) {
            List<Object> strings = new ArrayList<>();
            for (long j = 0; j < n; j++) {
                strings.add(str((MemorySegment) arrStr.invokeExact(ctx, i, j)));
            }
            return new GgufValue(GgufType.ARRAY, new GgufValue.GgufArray(et, strings));
        }
        byte[] raw = n == 0 ? new byte[0]
                : ((MemorySegment) arrData.invokeExact(ctx, i)).reinterpret(n * et.fixedBytes()).toArray(ValueLayout.JAVA_BYTE);
        return new GgufValue(GgufType.ARRAY, new GgufValue.GgufArray(et, new PackedList(et, raw)));
    }

    private static String str(MemorySegment cString) {
        return cString.reinterpret(Integer.MAX_VALUE).getString(0);
    }
}
