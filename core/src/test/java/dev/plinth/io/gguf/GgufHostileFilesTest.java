package dev.plinth.io.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.io.ModelFormatException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hand-made hostile files: each must be rejected with a ModelFormatException naming the file, the
 * field and the byte offset of the problem.
 */
class GgufHostileFilesTest {

    @TempDir
    Path tmp;

    /** Little-endian GGUF bytes, field by field, remembering where each field starts. */
    static final class Raw {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        int pos() {
            return out.size();
        }

        Raw u8(int v) {
            out.write(v);
            return this;
        }

        Raw u32(long v) {
            return bytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) v).array());
        }

        Raw u64(long v) {
            return bytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array());
        }

        Raw str(String s) {
            return str(s.getBytes(StandardCharsets.UTF_8));
        }

        Raw str(byte[] b) {
            u64(b.length);
            return bytes(b);
        }

        Raw bytes(byte[] b) {
            out.write(b, 0, b.length);
            return this;
        }

        Raw padTo(int alignment) {
            while (pos() % alignment != 0) {
                u8(0);
            }
            return this;
        }

        Raw header(int version, long tensors, long kvs) {
            return bytes("GGUF".getBytes(StandardCharsets.US_ASCII)).u32(version).u64(tensors).u64(kvs);
        }

        /** A tensor info: name, dims (GGUF order), type, offset. */
        Raw tensor(String name, long[] ne, int type, long offset) {
            str(name).u32(ne.length);
            for (long d : ne) {
                u64(d);
            }
            return u32(type).u64(offset);
        }

        byte[] build() {
            return out.toByteArray();
        }
    }

    private ModelFormatException reject(byte[] file, long offset, String field, String problem) throws IOException {
        Path p = tmp.resolve("hostile.gguf");
        Files.write(p, file);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> GgufFile.open(p).close());
        String prefix = p + " at byte " + offset + ", field " + field + ": ";
        assertTrue(e.getMessage().startsWith(prefix), () -> "message '" + e.getMessage() + "' does not start with '" + prefix + "'");
        assertTrue(e.getMessage().contains(problem), () -> "message '" + e.getMessage() + "' lacks '" + problem + "'");
        assertEquals(p, e.file());
        assertEquals(offset, e.offset());
        assertEquals(field, e.field());
        return e;
    }

    @Test
    void wrongMagicOrVersion() throws IOException {
        reject(new byte[0], 0, "magic", "file ends after 0 bytes");
        reject(new byte[] {'G', 'G'}, 0, "magic", "truncated");
        reject(new Raw().u32(0x4C4D4747).u32(3).u64(0).u64(0).build(), 0, "magic", "not a GGUF file");
        reject(new Raw().header(1, 0, 0).build(), 4, "version", "v1 is obsolete");
        reject(new Raw().header(4, 0, 0).build(), 4, "version", "unsupported GGUF version 4");
        reject(new Raw().header(0x03000000, 0, 0).build(), 4, "version", "unsupported GGUF version 50331648");
        reject(Arrays.copyOf(new Raw().header(3, 0, 0).build(), 20), 16, "metadata_kv_count", "truncated");
    }

    @Test
    void countsBeyondTheFile() throws IOException {
        reject(new Raw().header(3, 1L << 40, 0).build(), 8, "tensor_count", "tensor_count is 1099511627776");
        reject(new Raw().header(3, -1, 0).build(), 8, "tensor_count", "18446744073709551615");
        reject(new Raw().header(3, 0, 1L << 63).build(), 16, "metadata_kv_count", "9223372036854775808");
        reject(new Raw().header(3, 0, 2).str("a").u32(4).u32(1).build(), 16, "metadata_kv_count", "hold at most 1");
        reject(new Raw().header(3, 0, 1).u64(1L << 62).bytes(new byte[16]).build(), 24, "metadata key #0 length", "runs past the end");
        reject(new Raw().header(3, 0, 1).u64(-1).bytes(new byte[64]).build(), 24, "metadata key #0 length", "18446744073709551615");
        reject(new Raw().header(3, 0, 1).str("k").u32(8).u64(100).bytes(new byte[99]).build(), 24 + 9 + 4, "k length",
                "string length 100 runs past the end of the file (99 bytes left)");
        Raw arr = new Raw().header(3, 0, 1).str("k").u32(9).u32(4);
        int countAt = arr.pos();
        reject(arr.u64(Integer.MAX_VALUE + 1L).bytes(new byte[40]).build(), countAt, "k array length", "hold at most 10");
        Raw strs = new Raw().header(3, 0, 1).str("k").u32(9).u32(8);
        int strsAt = strs.pos();
        reject(strs.u64(6).u64(0).u64(0).u64(0).u64(0).u64(0).build(), strsAt, "k array length", "hold at most 5");
    }

    @Test
    void unknownTypesAndBadValues() throws IOException {
        Raw t = new Raw().header(3, 0, 1).str("k");
        int typeAt = t.pos();
        reject(t.u32(13).u32(0).build(), typeAt, "k type", "unknown metadata value type 13");
        Raw a = new Raw().header(3, 0, 1).str("k").u32(9);
        int elemAt = a.pos();
        reject(a.u32(-1).u64(0).build(), elemAt, "k element type", "unknown metadata value type 4294967295");
        Raw b = new Raw().header(3, 0, 1).str("flag").u32(7);
        int boolAt = b.pos();
        reject(b.u8(2).build(), boolAt, "flag", "bool value is 2");
        Raw ba = new Raw().header(3, 0, 1).str("flags").u32(9).u32(7).u64(3);
        int baAt = ba.pos();
        reject(ba.u8(1).u8(0).u8(-1).build(), baAt + 2, "flags[2]", "bool value is -1");
    }

    @Test
    void invalidUtf8() throws IOException {
        reject(new Raw().header(3, 0, 1).str(new byte[] {'a', (byte) 0xC3}).u32(4).u32(1).build(), 32,
                "metadata key #0", "not valid UTF-8");
        Raw v = new Raw().header(3, 0, 1).str("k").u32(8);
        int vAt = v.pos();
        reject(v.str(new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80}).build(), vAt + 8, "k", "not valid UTF-8"); // a surrogate
        Raw arr = new Raw().header(3, 0, 1).str("toks").u32(9).u32(8).u64(3).str("ok").str("fine");
        int badAt = arr.pos();
        reject(arr.str(new byte[] {(byte) 0xC0, (byte) 0x80}).build(), badAt + 8, "toks[2]", "not valid UTF-8"); // overlong NUL
        Raw name = new Raw().header(3, 1, 0);
        reject(name.str(new byte[] {(byte) 0xFF}).u32(1).u64(1).u32(0).u64(0).build(), 32, "tensor #0 name", "not valid UTF-8");
    }

    @Test
    void nestingAndDuplicates() throws IOException {
        Raw deep = new Raw().header(3, 0, 1).str("deep").u32(9);
        for (int i = 0; i < 8; i++) {
            deep.u32(9).u64(1);
        }
        int tooDeepAt = deep.pos();
        reject(deep.u32(9).u64(1).u32(0).u64(0).build(), tooDeepAt, "deep[0][0][0][0][0][0][0][0] type", "nest deeper than 8");
        Raw dup = new Raw().header(3, 0, 2).str("k").u32(4).u32(1);
        int dupAt = dup.pos();
        reject(dup.str("k").u32(4).u32(2).build(), dupAt, "metadata key #1", "duplicate metadata key 'k'");
        reject(new Raw().header(3, 0, 1).str("").u32(4).u32(1).build(), 24, "metadata key #0", "is empty");
        Raw dupT = new Raw().header(3, 2, 0).tensor("w", new long[] {4}, 0, 0);
        int dupTAt = dupT.pos();
        reject(dupT.tensor("w", new long[] {4}, 0, 32).padTo(32).bytes(new byte[64]).build(), dupTAt, "tensor #1 name",
                "duplicate tensor name 'w' (also tensor #0)");
    }

    @Test
    void badAlignment() throws IOException {
        Raw i32 = new Raw().header(3, 0, 1).str("general.alignment");
        int typeAt = i32.pos();
        reject(i32.u32(5).u32(32).build(), typeAt, "general.alignment", "must be stored as UINT32, not INT32");
        Raw odd = new Raw().header(3, 0, 1).str("general.alignment").u32(4);
        int valueAt = odd.pos();
        reject(odd.u32(48).build(), valueAt, "general.alignment", "48, not a power of two");
        reject(new Raw().header(3, 0, 1).str("general.alignment").u32(4).u32(0).build(), valueAt, "general.alignment",
                "0, not a power of two");
        reject(new Raw().header(3, 0, 1).str("general.alignment").u32(4).u32(1L << 31).build(), valueAt, "general.alignment",
                "larger than the 2^30");
    }

    @Test
    void badTensorInfos() throws IOException {
        int infoAt = 24;
        int nameLen = 8 + 1;
        reject(new Raw().header(3, 1, 0).tensor("w", new long[] {1, 1, 1, 1, 1}, 0, 0).build(), infoAt + nameLen,
                "tensor 'w' n_dims", "5 dimensions (at most 4)");
        reject(new Raw().header(3, 1, 0).tensor("w", new long[] {Long.MIN_VALUE}, 0, 0).build(), infoAt + nameLen + 4,
                "tensor 'w' ne[0]", "9223372036854775808 (must be below 2^63)");
        reject(new Raw().header(3, 1, 0).tensor("w", new long[] {1L << 32, 1L << 32}, 0, 0).build(), infoAt + nameLen + 4 + 8,
                "tensor 'w' ne[1]", "element count overflows");
        int typeAt = infoAt + nameLen + 4 + 16;
        reject(new Raw().header(3, 1, 0).tensor("w", new long[] {32, 2}, 4, 0).build(), typeAt, "tensor 'w' type",
                "unknown GGML type 4");
        reject(new Raw().header(3, 1, 0).tensor("w", new long[] {32, 2}, -1, 0).build(), typeAt, "tensor 'w' type",
                "unknown GGML type 4294967295");
        reject(new Raw().header(3, 1, 0).tensor("w", new long[] {48, 2}, 2, 0).build(), typeAt, "tensor 'w' type",
                "row length 48 is not a multiple of the Q4_0 block size 32");
        reject(new Raw().header(3, 1, 0).tensor("w", new long[] {1L << 40, 1L << 20}, 0, 0).build(), typeAt, "tensor 'w' type",
                "cannot fit");
        reject(new Raw().header(3, 1, 0).tensor("w", new long[] {1L << 61}, 0, 0).build(), typeAt - 8, "tensor 'w' type",
                "cannot fit"); // 2^63 bytes: the byte size itself overflows
        int offAt = infoAt + nameLen + 4 + 8 + 4; // one dimension
        reject(new Raw().header(3, 1, 0).tensor("w", new long[] {4}, 0, 16).padTo(32).bytes(new byte[64]).build(), offAt,
                "tensor 'w' offset", "16 is not a multiple of the alignment 32");
        reject(new Raw().header(3, 1, 0).tensor("w", new long[] {4}, 0, -32).padTo(32).bytes(new byte[64]).build(), offAt,
                "tensor 'w' offset", "18446744073709551584 lies beyond the end");
        reject(new Raw().header(3, 1, 0).tensor("w", new long[] {4}, 0, 64).padTo(32).bytes(new byte[64]).build(), offAt,
                "tensor 'w' offset", "run past the end of the file");
        reject(new Raw().header(3, 1, 0).tensor("x".repeat(64), new long[] {4}, 0, 0).padTo(32).bytes(new byte[16]).build(),
                infoAt, "tensor #0 name", "64 bytes long (GGUF allows at most 63)");
        Raw overlap = new Raw().header(3, 2, 0).tensor("a", new long[] {16}, 0, 0);
        int secondAt = overlap.pos();
        reject(overlap.tensor("b", new long[] {4}, 0, 32).padTo(32).bytes(new byte[128]).build(), secondAt + 9 + 4 + 8 + 4,
                "tensor 'b' offset", "overlap those of tensor 'a', which end at 64");
        Raw noData = new Raw().header(3, 1, 0).tensor("w", new long[] {4}, 0, 0);
        int end = noData.pos();
        reject(noData.build(), end, "tensor data", "past the end");
    }

    /** Cutting a valid file anywhere before the end of its last tensor's data must be detected. */
    @Test
    void truncatedAnywhere() throws IOException {
        Path p = tmp.resolve("whole.gguf");
        GgufSamples.sample(5, new GgufSamples.Options(3, 32, true, true)).write(p);
        byte[] whole = Files.readAllBytes(p);
        long dataEnd;
        try (GgufFile f = GgufFile.open(p)) {
            dataEnd = f.dataStart() + f.tensorInfos().stream().mapToLong(t -> t.offset() + t.byteSize()).max().orElseThrow();
        }
        Path cut = tmp.resolve("cut.gguf"); // names the in-memory prefixes in messages
        MemorySegment all = MemorySegment.ofArray(whole);
        for (int len = 0; len < dataEnd; len++) {
            MemorySegment prefix = all.asSlice(0, len);
            int l = len;
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> GgufFile.parse(cut, prefix),
                    () -> "prefix of " + l + " bytes was accepted");
            assertTrue(e.getMessage().startsWith(cut + " at byte "), e.getMessage());
            assertTrue(e.offset() >= 0 && e.offset() <= len, () -> "offset " + e.offset() + " beyond the cut at " + l);
            assertTrue(e.field() != null && !e.field().isEmpty(), e.getMessage());
        }
        for (long len = dataEnd; len <= whole.length; len++) {
            GgufFile.parse(cut, all.asSlice(0, len)); // only trailing padding is missing
        }
    }

    /**
     * A huge count of small elements that does fit the file byte-wise is read with memory in
     * proportion to those bytes, not to a count-based guess.
     */
    @Test
    void largeArraysCostMemoryInProportionToTheirBytes() throws IOException {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        int n = 16 << 20;
        Raw u8 = new Raw().header(3, 0, 1).str("k").u32(9).u32(0).u64(n);
        Path p = tmp.resolve("u8.gguf");
        try (var ch = Files.newByteChannel(p, java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(u8.build()));
            ch.write(ByteBuffer.allocate(n));
        }
        long before = mx.getCurrentThreadAllocatedBytes();
        try (GgufFile f = GgufFile.open(p)) {
            assertEquals(n, f.getArray("k").size());
        }
        long allocated = mx.getCurrentThreadAllocatedBytes() - before;
        assertTrue(allocated < 2L * n, () -> allocated + " bytes allocated for a " + n + "-element uint8 array");

        int m = 1 << 20; // a million empty strings: 8 bytes each in the file
        Raw s = new Raw().header(3, 0, 1).str("k").u32(9).u32(8).u64(m);
        Path q = tmp.resolve("strings.gguf");
        try (var ch = Files.newByteChannel(q, java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(s.build()));
            ch.write(ByteBuffer.allocate(8 * m));
        }
        long before2 = mx.getCurrentThreadAllocatedBytes();
        try (GgufFile f = GgufFile.open(q)) {
            assertEquals(m, f.getArray("k").size());
        }
        long allocated2 = mx.getCurrentThreadAllocatedBytes() - before2;
        System.out.printf("allocation: %d bytes for %d uint8 elements, %d bytes for %d empty strings (%d file bytes)%n",
                allocated, n, allocated2, m, 8L * m);
        assertTrue(allocated2 < 2L * 8 * m, () -> allocated2 + " bytes allocated for " + m + " empty strings");
    }
}
