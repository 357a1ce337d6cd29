package dev.plinth.io.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plinth.tensor.DType;
import dev.plinth.tensor.Tensor;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A GGUF file over 2 GiB, made sparse (RandomAccessFile.setLength) so that it costs no disk: its
 * tensors are read zero-copy from the mapping at offsets beyond 2^31.
 */
class GgufLargeFileTest {

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @TempDir
    Path tmp;

    @Test
    void readsTensorsBeyondTwoGibZeroCopy() throws IOException {
        long bigElements = (1L << 31) + 64;
        int tailElements = 1024;
        GgufHostileFilesTest.Raw header = new GgufHostileFilesTest.Raw().header(3, 2, 1)
                .str("general.name").u32(8).str("sparse")
                .tensor("big", new long[] {bigElements}, DType.I8.ggmlId(), 0)
                .tensor("tail", new long[] {tailElements}, DType.F32.ggmlId(), bigElements) // 2^31+64 is 32-aligned
                .padTo(32);
        byte[] head = header.build();
        long dataStart = head.length;
        long tailAt = dataStart + bigElements;
        long fileSize = tailAt + 4L * tailElements;
        Path p = tmp.resolve("sparse.gguf");
        try {
            try (RandomAccessFile raf = new RandomAccessFile(p.toFile(), "rw")) {
                raf.setLength(fileSize);
                raf.write(head);
                raf.seek(dataStart + (1L << 31) + 10);
                raf.write(0x5A);
                ByteBuffer tail = ByteBuffer.allocate(4 * tailElements).order(ByteOrder.LITTLE_ENDIAN);
                for (int i = 0; i < tailElements; i++) {
                    tail.putFloat(i * 0.25f - 7f);
                }
                raf.seek(tailAt);
                raf.write(tail.array());
            }
            assertTrue(Files.size(p) > 1L << 31);

            try (GgufFile f = GgufFile.open(p)) {
                assertEquals("sparse", f.getString("general.name", null));
                assertEquals(dataStart, f.dataStart());
                Tensor big = f.tensor("big");
                assertEquals(bigElements, big.data().byteSize());
                assertEquals(0x5A, big.data().get(ValueLayout.JAVA_BYTE, (1L << 31) + 10));
                assertEquals(0, big.data().get(ValueLayout.JAVA_BYTE, (1L << 31) + 9)); // a hole reads as zeros
                Tensor tail = f.tensor("tail");
                assertEquals(DType.F32, tail.dtype());
                MemorySegment data = tail.data();
                assertTrue(data.isMapped(), "tensor data are a slice of the mapping");
                assertEquals(f.segment().address() + tailAt, data.address(), "no copy: the slice starts at the file offset");
                for (int i = 0; i < tailElements; i++) {
                    assertEquals(i * 0.25f - 7f, data.getAtIndex(F32, i), "tail[" + i + "]");
                }
                assertEquals(tailElements * 0.25f - 7.25f, f.segment().get(F32, fileSize - 4));
            }
        } finally {
            Files.deleteIfExists(p);
        }
    }
}
