package dev.plinth.knowledge;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * A minimal POSIX ustar archive of flat files, written reproducibly: names sorted, mode 0644, owner
 * and times zero, so that the same files always give the same bytes (and the same digest). Reading
 * accepts only what writing makes: plain files with short names and no folders.
 */
final class Tar {
    private static final int BLOCK = 512;
    private static final long MAX_SIZE = 077777777777L;

    private Tar() {
    }

    /** Writes the files {@code names} of {@code folder}, in sorted order, to {@code out}. */
    static void write(Path folder, List<String> names, OutputStream out) throws IOException {
        for (String name : names.stream().sorted().toList()) {
            Path file = folder.resolve(name);
            long size = Files.size(file);
            out.write(header(name, size));
            try (InputStream in = Files.newInputStream(file)) {
                if (in.transferTo(out) != size) {
                    throw new IOException(file + " changed while it was archived");
                }
            }
            out.write(new byte[(int) ((BLOCK - size % BLOCK) % BLOCK)]);
        }
        out.write(new byte[2 * BLOCK]);
    }

    private static byte[] header(String name, long size) throws IOException {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        if (n.length > 99 || name.contains("/") || size > MAX_SIZE) {
            throw new IOException("cannot archive " + name + " (" + size + " bytes) in a ustar header");
        }
        byte[] h = new byte[BLOCK];
        System.arraycopy(n, 0, h, 0, n.length);
        octal(h, 100, 8, 0644);
        octal(h, 108, 8, 0);
        octal(h, 116, 8, 0);
        octal(h, 124, 12, size);
        octal(h, 136, 12, 0);
        h[156] = '0';
        System.arraycopy("ustar\0".getBytes(StandardCharsets.US_ASCII), 0, h, 257, 6);
        h[263] = '0';
        h[264] = '0';
        Arrays.fill(h, 148, 156, (byte) ' ');
        octal(h, 148, 7, checksum(h));
        return h;
    }

    /** {@code value} as zero-padded octal in {@code width - 1} digits and a NUL. */
    private static void octal(byte[] h, int at, int width, long value) {
        String s = Long.toOctalString(value);
        s = "0".repeat(width - 1 - s.length()) + s;
        System.arraycopy(s.getBytes(StandardCharsets.US_ASCII), 0, h, at, width - 1);
        h[at + width - 1] = 0;
    }

    private static long checksum(byte[] h) {
        long sum = 0;
        for (byte b : h) {
            sum += b & 0xFF;
        }
        return sum;
    }

    /** Extracts an archive {@link #write} made into {@code folder}; anything else is refused naming the file. */
    static void extract(Path archive, Path folder) throws IOException {
        try (InputStream in = Files.newInputStream(archive)) {
            byte[] h = new byte[BLOCK];
            while (true) {
                if (in.readNBytes(h, 0, BLOCK) != BLOCK) {
                    throw new IOException(archive + ": truncated archive");
                }
                if (allZero(h)) {
                    return;
                }
                String name = field(h, 0, 100);
                long size = parseOctal(archive, h, 124, 12);
                long stored = parseOctal(archive, h, 148, 8);
                Arrays.fill(h, 148, 156, (byte) ' ');
                if (stored != checksum(h) || (h[156] != '0' && h[156] != 0) || name.isEmpty() || name.contains("/")
                        || name.startsWith(".")) {
                    throw new IOException(archive + ": not an archive of a knowledge base's index (entry '" + name + "')");
                }
                try (OutputStream out = Files.newOutputStream(folder.resolve(name))) {
                    copy(in, out, size, archive);
                }
                in.skipNBytes((BLOCK - size % BLOCK) % BLOCK);
            }
        }
    }

    private static void copy(InputStream in, OutputStream out, long size, Path archive) throws IOException {
        byte[] buffer = new byte[1 << 16];
        long left = size;
        while (left > 0) {
            int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
            if (n < 0) {
                throw new IOException(archive + ": truncated archive");
            }
            out.write(buffer, 0, n);
            left -= n;
        }
    }

    private static String field(byte[] h, int at, int width) {
        int end = at;
        while (end < at + width && h[end] != 0) {
            end++;
        }
        return new String(h, at, end - at, StandardCharsets.UTF_8);
    }

    private static long parseOctal(Path archive, byte[] h, int at, int width) throws IOException {
        String s = field(h, at, width).strip();
        try {
            return Long.parseLong(s, 8);
        } catch (NumberFormatException e) {
            throw new IOException(archive + ": a header field is not octal: '" + s + "'");
        }
    }

    private static boolean allZero(byte[] h) {
        for (byte b : h) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }
}
