package dev.plinth.train.corpus;

import dev.plinth.io.AtomicFiles;
import dev.plinth.io.MappedFiles;
import dev.plinth.io.ModelFormatException;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

/**
 * A memory-mapped token shard. The format (all integers little-endian):
 *
 * <pre>
 * offset size field
 *  0      8   magic        "PLNTSHRD"
 *  8      4   version      1
 * 12      4   tokenBytes   2 (uint16 ids, vocabSize &lt;= 65536) or 4 (uint32 ids)
 * 16      4   vocabSize    every id is below it
 * 20      4   eosId        separates documents; every document ends with it
 * 24      8   tokenCount   number of ids in the payload
 * 32      8   docCount     number of documents (= number of eosId in the payload)
 * 40     32   sha256       SHA-256 of the payload bytes
 * 72      -   payload      tokenCount ids of tokenBytes each
 * </pre>
 *
 * The file size must be exactly {@code 72 + tokenCount * tokenBytes}. Opening validates the
 * header, the size and the payload digest; the ids are then served zero-copy from the mapping.
 */
public final class TokenShard implements AutoCloseable {

    public static final int HEADER_BYTES = 72;
    static final byte[] MAGIC = "PLNTSHRD".getBytes(StandardCharsets.US_ASCII);
    static final int VERSION = 1;

    private final Arena arena;
    private final MemorySegment tokens;
    private final int tokenBytes;
    private final int vocabSize;
    private final int eosId;
    private final long documentCount;

    private TokenShard(Arena arena, MemorySegment tokens, int tokenBytes, int vocabSize, int eosId, long documentCount) {
        this.arena = arena;
        this.tokens = tokens;
        this.tokenBytes = tokenBytes;
        this.vocabSize = vocabSize;
        this.eosId = eosId;
        this.documentCount = documentCount;
    }

    /** Bytes per id for a vocabulary: 2 when every id fits in uint16, else 4. */
    public static int tokenBytesFor(int vocabSize) {
        return vocabSize <= 65536 ? 2 : 4;
    }

    /** Writes a shard atomically; {@code ids} must hold {@code documentCount} documents each ending in eos. */
    public static void write(Path file, int[] ids, int length, int vocabSize, int eosId, long documentCount) throws IOException {
        int tokenBytes = tokenBytesFor(vocabSize);
        ByteBuffer payload = ByteBuffer.allocate(Math.multiplyExact(length, tokenBytes)).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < length; i++) {
            int id = ids[i];
            if (id < 0 || id >= vocabSize) {
                throw new IllegalArgumentException("token id " + id + " at " + i + " outside vocabulary of " + vocabSize);
            }
            if (tokenBytes == 2) {
                payload.putShort((short) id);
            } else {
                payload.putInt(id);
            }
        }
        payload.flip();
        ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        header.put(MAGIC).putInt(VERSION).putInt(tokenBytes).putInt(vocabSize).putInt(eosId)
                .putLong(length).putLong(documentCount).put(sha256(payload.duplicate()));
        header.flip();
        AtomicFiles.write(file, ch -> {
            AtomicFiles.writeFully(ch, header);
            AtomicFiles.writeFully(ch, payload);
        });
    }

    /** Whether {@code file} starts with the shard magic (a cheap check before {@link #open}). */
    public static boolean isShard(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return Arrays.equals(in.readNBytes(MAGIC.length), MAGIC);
        }
    }

    /** Maps and validates a shard; hostile files fail with a {@link ModelFormatException}. */
    public static TokenShard open(Path file) throws IOException {
        return MappedFiles.open(file, (arena, all) -> validate(file, all, arena));
    }

    private static TokenShard validate(Path file, MemorySegment all, Arena arena) throws ModelFormatException {
        long size = all.byteSize();
        if (size < HEADER_BYTES) {
            throw new ModelFormatException(file, "header", size, "file of " + size + " bytes is shorter than the " + HEADER_BYTES + "-byte header");
        }
        byte[] magic = all.asSlice(0, 8).toArray(ValueLayout.JAVA_BYTE);
        if (!Arrays.equals(magic, MAGIC)) {
            throw new ModelFormatException(file, "magic", 0, "not a PLNTSHRD token shard");
        }
        int version = u32(all, 8);
        if (version != VERSION) {
            throw new ModelFormatException(file, "version", 8, "unsupported version " + Integer.toUnsignedString(version));
        }
        int tokenBytes = u32(all, 12);
        if (tokenBytes != 2 && tokenBytes != 4) {
            throw new ModelFormatException(file, "tokenBytes", 12, "token width " + Integer.toUnsignedString(tokenBytes) + " is neither 2 nor 4");
        }
        int vocabSize = u32(all, 16);
        if (vocabSize <= 0 || tokenBytesFor(vocabSize) != tokenBytes) {
            throw new ModelFormatException(file, "vocabSize", 16, "vocabulary size " + Integer.toUnsignedString(vocabSize) + " does not fit token width " + tokenBytes);
        }
        int eosId = u32(all, 20);
        if (eosId < 0 || eosId >= vocabSize) {
            throw new ModelFormatException(file, "eosId", 20, "eos id " + Integer.toUnsignedString(eosId) + " outside vocabulary of " + vocabSize);
        }
        long tokenCount = all.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 24);
        long payloadBytes = size - HEADER_BYTES;
        if (tokenCount < 0 || tokenCount > payloadBytes / tokenBytes || tokenCount * tokenBytes != payloadBytes) {
            throw new ModelFormatException(file, "tokenCount", 24, "token count " + Long.toUnsignedString(tokenCount) + " of " + tokenBytes
                    + " bytes does not match the " + payloadBytes + "-byte payload");
        }
        long docCount = all.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 32);
        if (docCount < 0 || docCount > tokenCount) {
            throw new ModelFormatException(file, "docCount", 32, "document count " + Long.toUnsignedString(docCount) + " exceeds the token count " + tokenCount);
        }
        MemorySegment payload = all.asSlice(HEADER_BYTES);
        byte[] expected = all.asSlice(40, 32).toArray(ValueLayout.JAVA_BYTE);
        if (!MessageDigest.isEqual(expected, sha256(payload.asByteBuffer()))) {
            throw new ModelFormatException(file, "sha256", 40, "payload digest does not match the header");
        }
        TokenShard shard = new TokenShard(arena, payload, tokenBytes, vocabSize, eosId, docCount);
        shard.checkIds(file);
        return shard;
    }

    private void checkIds(Path file) throws ModelFormatException {
        long docs = 0;
        long n = tokenCount();
        for (long i = 0; i < n; i++) {
            int id = token(i);
            if (id < 0 || id >= vocabSize) {
                throw new ModelFormatException(file, "payload", HEADER_BYTES + i * tokenBytes, "token id " + Integer.toUnsignedString(id) + " outside vocabulary of " + vocabSize);
            }
            if (id == eosId) {
                docs++;
            }
        }
        if (docs != documentCount || (n > 0 && token(n - 1) != eosId)) {
            throw new ModelFormatException(file, "docCount", 32, "header says " + documentCount + " documents, payload has " + docs + " eos-terminated ones");
        }
    }

    private static int u32(MemorySegment s, long offset) {
        return s.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), offset);
    }

    static byte[] sha256(ByteBuffer bytes) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(bytes);
            return md.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The payload as mapped: {@link #tokenCount()} little-endian ids of {@link #tokenBytes()} each. */
    public MemorySegment tokens() {
        return tokens;
    }

    public long tokenCount() {
        return tokens.byteSize() / tokenBytes;
    }

    /** The id at {@code index}, read from the mapping. */
    public int token(long index) {
        if (tokenBytes == 2) {
            return Short.toUnsignedInt(tokens.getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), index));
        }
        return tokens.getAtIndex(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), index);
    }

    public int tokenBytes() {
        return tokenBytes;
    }

    public int vocabSize() {
        return vocabSize;
    }

    public int eosId() {
        return eosId;
    }

    public long documentCount() {
        return documentCount;
    }

    @Override
    public void close() {
        arena.close();
    }
}
