package io.cdckit.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Positions of any number of sources in one JSON file, {@code {"<source name>": {<position
 * fields>}, ...}}.
 *
 * <p>Each save writes the whole content to a new temporary file in the same directory, forces it
 * to disk, renames it over the file atomically and forces the directory, so a crash at any
 * instant leaves either the old or the new file. The file is read once, when the store opens;
 * {@link #load} answers from memory.
 *
 * <p>While open, the store holds an exclusive lock on {@code <file>.lock} so that a second
 * process (or a second store in this JVM) cannot overwrite its positions. The lock file is left
 * in place on close: deleting it while another process waits on it would let two holders in.
 */
final class FileOffsetStore implements OffsetStore {

    private static final Logger LOG = LoggerFactory.getLogger(FileOffsetStore.class);

    /**
     * Offset files open in this JVM. Checked before the lock file is even opened: on POSIX
     * systems, closing any channel on a file drops every lock the process holds on it.
     */
    private static final Set<Path> OPEN_FILES = ConcurrentHashMap.newKeySet();

    private static final int TEMP_RANDOM_DIGITS = 16;
    private static final String TEMP_SUFFIX = ".tmp";

    private final Path path;
    private final Path dir;
    private final Path lockPath;
    private final String tempPrefix;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private volatile Map<String, Position> positions;
    private volatile boolean closed;

    FileOffsetStore(Path path) {
        Objects.requireNonNull(path, "path");
        Path absolute = path.toAbsolutePath().normalize();
        Path fileName = absolute.getFileName();
        if (fileName == null) {
            throw new CdcException("Offset file path '" + path + "' names no file: set cdc.offset.store to "
                    + "file:PATH with a file path such as file:/var/lib/app/offsets.json.");
        }
        Path parent = absolute.getParent();
        try {
            Files.createDirectories(parent);
            parent = parent.toRealPath();
        } catch (IOException e) {
            throw new CdcException("Cannot create directory " + parent + " for offset file " + absolute + ": " + e
                    + ". Create it, or point cdc.offset.store=file:PATH to a writable location.", e);
        }
        this.dir = parent;
        this.path = parent.resolve(fileName.toString());
        this.lockPath = parent.resolve(fileName + ".lock");
        this.tempPrefix = fileName + ".";

        if (!OPEN_FILES.add(this.path)) {
            throw new CdcException("Offset file " + this.path + " is already open by another offset store in "
                    + "this JVM. Close that source first, give each source its own file, or share one store: "
                    + "create it once with OffsetStores.file(path) and pass it to every source with "
                    + "ChangeSources.builder(config).offsetStore(store).");
        }
        FileChannel channel = null;
        FileLock acquired = null;
        try {
            channel = FileChannel.open(lockPath, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            try {
                acquired = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                acquired = null;
            }
            if (acquired == null) {
                throw new CdcException("Offset file " + this.path + " is in use by another running source: "
                        + "another process holds the lock on " + lockPath + ". Stop that process before "
                        + "starting this one, or give this source its own cdc.offset.store=file:PATH; two "
                        + "processes writing one offset file would overwrite each other's positions. "
                        + "Do not delete the lock file to get around this.");
            }
            this.lockChannel = channel;
            this.lock = acquired;
            removeStaleTempFiles();
            this.positions = read();
        } catch (IOException | RuntimeException e) {
            closeQuietly(channel);
            OPEN_FILES.remove(this.path);
            if (e instanceof CdcException ce) {
                throw ce;
            }
            throw new CdcException("Cannot lock offset file " + this.path + " through " + lockPath + ": " + e
                    + ". Check that the directory is writable by this process and lies on a file system that "
                    + "supports file locks.", e);
        }
    }

    @Override
    public Optional<Position> load(String sourceName) {
        Objects.requireNonNull(sourceName, "sourceName");
        ensureOpen();
        return Optional.ofNullable(positions.get(sourceName));
    }

    /**
     * Writes every source's position, with {@code position} for {@code sourceName}, and returns
     * once the new file is on disk. An interrupt of the calling thread does not abandon the
     * write half-way; the thread's interrupt status is kept.
     *
     * @throws CdcException naming the file and the cause when the file cannot be written; the
     *                      file and {@link #load} then still hold the previous position
     */
    @Override
    public void save(String sourceName, Position position) {
        Objects.requireNonNull(sourceName, "sourceName");
        Objects.requireNonNull(position, "position");
        synchronized (this) {
            ensureOpen();
            Map<String, Position> current = positions;
            if (position.equals(current.get(sourceName))) {
                return;
            }
            Map<String, Position> next = new LinkedHashMap<>(current);
            next.put(sourceName, position);
            boolean interrupted = Thread.interrupted();
            try {
                write(next, sourceName);
            } finally {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
            positions = Collections.unmodifiableMap(next);
        }
    }

    /** Releases the lock on the file; the store can no longer be used. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            lock.release();
        } catch (IOException e) {
            LOG.warn("Could not release the lock on {}: {}", lockPath, e.toString());
        } finally {
            closeQuietly(lockChannel);
            OPEN_FILES.remove(path);
        }
    }

    @Override
    public String toString() {
        return "file:" + path;
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("offset store " + this + " is closed");
        }
    }

    private Map<String, Position> read() {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(path);
        } catch (NoSuchFileException e) {
            return Collections.unmodifiableMap(new LinkedHashMap<>());
        } catch (IOException e) {
            throw new CdcException("Cannot read offset file " + path + ": " + e + ". Make sure it is a regular "
                    + "file this process may read and write.", e);
        }
        JsonNode root;
        try {
            root = PositionJson.MAPPER.readTree(bytes);
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? ""
                    : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
            throw corrupt("it is not valid JSON (" + e.getOriginalMessage() + where + ")", e);
        } catch (IOException e) {
            throw corrupt("it is not valid JSON (" + e + ")", e);
        }
        if (root == null || root.isMissingNode()) {
            throw corrupt("it is empty", null);
        }
        if (!root.isObject()) {
            throw corrupt("it holds a JSON " + root.getNodeType().name().toLowerCase(java.util.Locale.ROOT)
                    + " where an object of source names to positions was expected", null);
        }
        Map<String, Position> result = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : root.properties()) {
            try {
                result.put(e.getKey(), PositionJson.fromNode(e.getValue()));
            } catch (IllegalArgumentException bad) {
                throw corrupt("the position of source '" + e.getKey() + "' is invalid: " + bad.getMessage(), bad);
            }
        }
        return Collections.unmodifiableMap(result);
    }

    private CdcException corrupt(String what, Exception cause) {
        return new CdcException("Offset file " + path + " is corrupt: " + what + ". Restore it from a backup, "
                + "or correct it by hand ({\"<source name>\": {<position fields>}, ...}); or delete it to start "
                + "over, which makes every source that keeps its position there start again from the "
                + "beginning, as if it had never run.", cause);
    }

    private void write(Map<String, Position> content, String sourceName) {
        byte[] bytes;
        try {
            ObjectNode root = PositionJson.MAPPER.createObjectNode();
            for (Map.Entry<String, Position> e : content.entrySet()) {
                root.set(e.getKey(), PositionJson.toNode(e.getValue()));
            }
            String text = PositionJson.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n";
            bytes = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            throw new CdcException("Could not save the position of source '" + sourceName + "': it cannot be "
                    + "written as JSON (" + e.getOriginalMessage() + ")", e);
        }
        Path tmp = dir.resolve(tempPrefix
                + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong()) + TEMP_SUFFIX);
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ByteBuffer buf = ByteBuffer.wrap(bytes);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
            Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | RuntimeException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException | RuntimeException cleanup) {
                e.addSuppressed(cleanup);
            }
            String hint = e instanceof AtomicMoveNotSupportedException
                    ? "The file system of " + dir + " cannot replace a file atomically; keep the offset file on "
                            + "a local file system."
                    : "Check free space and write permission in " + dir + ".";
            throw new CdcException("Could not save the position of source '" + sourceName + "' to offset file "
                    + path + ": " + e + ". The file still holds the previous positions. " + hint, e);
        }
        syncDirectory();
    }

    /** Makes the rename durable; some platforms cannot open or force a directory, which is fine there. */
    private void syncDirectory() {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException e) {
            LOG.trace("Could not force directory {}: {}", dir, e.toString());
        }
    }

    /** Deletes temporary files left by a save that a crash interrupted. Called with the lock held. */
    private void removeStaleTempFiles() {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, p -> isTempFile(p.getFileName()))) {
            for (Path stale : entries) {
                try {
                    Files.deleteIfExists(stale);
                    LOG.debug("Removed stale temporary offset file {}", stale);
                } catch (IOException e) {
                    LOG.warn("Could not remove stale temporary offset file {}: {}", stale, e.toString());
                }
            }
        } catch (IOException e) {
            LOG.warn("Could not look for stale temporary offset files in {}: {}", dir, e.toString());
        }
    }

    private boolean isTempFile(Path name) {
        if (name == null) {
            return false;
        }
        String n = name.toString();
        if (n.length() != tempPrefix.length() + TEMP_RANDOM_DIGITS + TEMP_SUFFIX.length()
                || !n.startsWith(tempPrefix) || !n.endsWith(TEMP_SUFFIX)) {
            return false;
        }
        for (int i = tempPrefix.length(); i < tempPrefix.length() + TEMP_RANDOM_DIGITS; i++) {
            char c = n.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
                return false;
            }
        }
        return true;
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // nothing more to release
            }
        }
    }
}
