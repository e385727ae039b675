"""RFC 6962 (Certificate Transparency) Merkle tree: roots, inclusion and consistency proofs.

The tree is built over leaf hashes that the caller has already computed, because the custody
ledger's ``entry_hash`` is exactly the RFC 6962 leaf hash of an entry's canonical bytes.

This module imports only the standard library so that the standalone verifier shipped with an
evidence bundle can reuse it unchanged.

Terminology follows RFC 6962 §2.1: ``MTH(D[n])`` is the Merkle Tree Hash of ``n`` leaves; the
tree over ``n`` leaves splits at ``k``, the largest power of two strictly less than ``n``. A
*complete subtree* at level ``h`` covers ``2**h`` leaves starting at a multiple of ``2**h``.
Verification follows the algorithms of RFC 9162 §2.1.3.2 and §2.1.4.2.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Final

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "MalformedProof",
    "MerkleError",
    "MerklePeaks",
    "MerkleTree",
    "ProofVerificationFailed",
    "leaf_hash",
    "node_hash",
    "root_of",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE: Final = 32
"""Length in bytes of every leaf, node and root hash (SHA-256)."""

_LEAF_PREFIX: Final = b"\x00"
_NODE_PREFIX: Final = b"\x01"

EMPTY_ROOT: Final = hashlib.sha256(b"").digest()
"""MTH of the empty tree: SHA-256 of the empty string (RFC 6962 §2.1)."""


class MerkleError(Exception):
    """Base class for Merkle proof errors."""


class MalformedProof(MerkleError):
    """A proof or its parameters have the wrong shape and cannot be checked at all."""


class ProofVerificationFailed(MerkleError):
    """A well-formed proof does not lead to the claimed root."""


def leaf_hash(data: bytes) -> bytes:
    """Return the RFC 6962 leaf hash ``SHA-256(0x00 || data)``.

    Args:
        data: The leaf's raw bytes.

    Returns:
        The 32-byte leaf hash.
    """
    return hashlib.sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return the RFC 6962 interior node hash ``SHA-256(0x01 || left || right)``.

    Args:
        left: Hash of the left child.
        right: Hash of the right child.

    Returns:
        The 32-byte node hash.
    """
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def _checked_leaf(value: object, position: int) -> bytes:
    """Return ``value`` as immutable bytes after checking it is a 32-byte hash.

    Raises:
        TypeError: If ``value`` is not bytes-like.
        ValueError: If ``value`` is not 32 bytes long.
    """
    if not isinstance(value, bytes):
        if not isinstance(value, bytearray | memoryview):
            raise TypeError(f"leaf hash {position} must be bytes, not {type(value).__name__}")
        # A mutable buffer stored in the tree could be changed behind our back later.
        value = bytes(value)
    if len(value) != HASH_SIZE:
        raise ValueError(f"leaf hash {position} is {len(value)} bytes, expected {HASH_SIZE}")
    return value


def root_of(leaf_hashes: Sequence[bytes]) -> bytes:
    """Return the RFC 6962 Merkle Tree Hash of a sequence of leaf hashes.

    Runs in O(n) time and O(log n) memory, so it suits one-off checks over a whole ledger.

    Args:
        leaf_hashes: The leaf hashes (already ``leaf_hash``-ed), in log order.

    Returns:
        The 32-byte root; ``EMPTY_ROOT`` when there are no leaves.

    Raises:
        TypeError: If a leaf hash is not bytes-like.
        ValueError: If a leaf hash is not 32 bytes long.
    """
    peaks = MerklePeaks()
    for position, raw in enumerate(leaf_hashes):
        peaks.append(_checked_leaf(raw, position))
    return peaks.root()


class MerklePeaks:
    """The root of a growing leaf sequence in O(log n) memory: only the peaks are kept.

    The peaks are the complete subtrees covering the leaves so far, one per set bit of
    the size, strictly decreasing in level; two equal levels on top always merge into one
    a level higher. The state is small and picklable, so a producer in another process can
    send it along with its records and the receiver knows the root of what it received.
    """

    __slots__ = ("peaks", "size")

    def __init__(self) -> None:
        self.size = 0
        self.peaks: list[tuple[int, bytes]] = []  # (level, hash), bottom first

    def append(self, leaf_hash: bytes) -> None:
        """Add one leaf hash (32 bytes, already ``leaf_hash``-ed; the caller checks it)."""
        level, digest = 0, leaf_hash
        stack = self.peaks
        while stack and stack[-1][0] == level:
            digest = hashlib.sha256(_NODE_PREFIX + stack.pop()[1] + digest).digest()
            level += 1
        stack.append((level, digest))
        self.size += 1

    def root(self) -> bytes:
        """The RFC 6962 Merkle Tree Hash of the leaves so far; ``EMPTY_ROOT`` when none."""
        if not self.peaks:
            return EMPTY_ROOT
        # The leftover peaks are exactly the RFC 6962 "largest power of two" splits, so
        # folding them from the right reproduces MTH for sizes that are not a power of two.
        digest = self.peaks[-1][1]
        for _, left in reversed(self.peaks[:-1]):
            digest = node_hash(left, digest)
        return digest


def _largest_power_of_two_below(n: int) -> int:
    """Return the largest power of two strictly less than ``n`` (``n`` must be at least 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def _is_aligned_complete(start: int, end: int) -> bool:
    width = end - start
    return width & (width - 1) == 0 and start % width == 0


class MerkleTree:
    """Append-only tree over leaf hashes; keeps levels so proofs and roots of any prefix are cheap.

    ``_levels[h][i]`` is the hash of the complete subtree at level ``h`` covering leaves
    ``[i * 2**h, (i + 1) * 2**h)``. Only complete subtrees are stored; hashes along the ragged
    right edge of a prefix are recomputed on demand in O(log n), which keeps ``append`` O(1)
    amortised and lets every historic tree size be served from the same storage.
    """

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        """Build a tree from already-hashed leaves.

        Args:
            leaf_hashes: The leaf hashes in log order.

        Raises:
            TypeError: If a leaf hash is not bytes-like.
            ValueError: If a leaf hash is not 32 bytes long.
        """
        leaves = [_checked_leaf(h, i) for i, h in enumerate(leaf_hashes)]
        self._levels: list[list[bytes]] = [leaves]
        # Building level by level in bulk is several times faster than repeated append(),
        # which matters for ledgers with millions of entries.
        sha256 = hashlib.sha256
        below = leaves
        while len(below) >= 2:
            above = [
                sha256(_NODE_PREFIX + below[i] + below[i + 1]).digest()
                for i in range(0, len(below) - 1, 2)
            ]
            self._levels.append(above)
            below = above

    def append(self, leaf_hash: bytes) -> None:
        """Append one leaf hash to the tree.

        Args:
            leaf_hash: The new leaf's 32-byte RFC 6962 leaf hash.

        Raises:
            TypeError: If ``leaf_hash`` is not bytes-like.
            ValueError: If ``leaf_hash`` is not 32 bytes long.
        """
        digest = _checked_leaf(leaf_hash, self.size)
        level = 0
        self._levels[0].append(digest)
        # An even count at a level means the newest two nodes just completed a parent.
        while len(self._levels[level]) % 2 == 0:
            nodes = self._levels[level]
            parent = node_hash(nodes[-2], nodes[-1])
            level += 1
            if level == len(self._levels):
                self._levels.append([])
            self._levels[level].append(parent)

    @property
    def size(self) -> int:
        """Number of leaves in the tree."""
        return len(self._levels[0])

    def _check_size(self, size: int | None) -> int:
        if size is None:
            return self.size
        if isinstance(size, bool) or not isinstance(size, int):
            raise TypeError(f"tree size must be an int, not {type(size).__name__}")
        if not 0 <= size <= self.size:
            raise ValueError(f"tree size {size} outside 0..{self.size}")
        return size

    def _right_edge(self, size: int) -> dict[int, bytes]:
        """Return ``{start: MTH(leaves[start:size])}`` for every range RFC 6962 recursion visits.

        The ranges of the recursion that end at ``size`` are exactly the suffixes of the
        decomposition of ``[0, size)`` into maximal aligned complete subtrees (one per set bit
        of ``size``), so O(log n) lookups plus O(log n) hashes cover all of them.
        """
        peaks: list[tuple[int, bytes]] = []
        start = 0
        for level in range(size.bit_length() - 1, -1, -1):
            if size >> level & 1:
                peaks.append((start, self._levels[level][start >> level]))
                start += 1 << level
        edge: dict[int, bytes] = {}
        digest = b""
        for peak_start, peak_hash in reversed(peaks):
            digest = peak_hash if not edge else node_hash(peak_hash, digest)
            edge[peak_start] = digest
        return edge

    def _subtree(self, start: int, end: int, edge: dict[int, bytes]) -> bytes:
        """Return MTH of ``leaves[start:end]`` for a range visited by the RFC 6962 recursion."""
        if _is_aligned_complete(start, end):
            level = (end - start).bit_length() - 1
            return self._levels[level][start >> level]
        # Any other range in the recursion is a ragged right edge of the prefix being served.
        return edge[start]

    def root(self, size: int | None = None) -> bytes:
        """Return the root of the first ``size`` leaves.

        Args:
            size: Prefix length; defaults to the whole tree.

        Returns:
            The 32-byte Merkle Tree Hash; ``EMPTY_ROOT`` for size 0.

        Raises:
            ValueError: If ``size`` is negative or larger than the tree.
        """
        size = self._check_size(size)
        if size == 0:
            return EMPTY_ROOT
        return self._right_edge(size)[0]

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """Return the RFC 6962 §2.1.1 audit path for leaf ``index`` in the tree of ``size`` leaves.

        Args:
            index: Zero-based leaf index.
            size: Tree size the proof is for; defaults to the whole tree.

        Returns:
            Sibling hashes ordered from the leaf up to the root.

        Raises:
            ValueError: If ``size`` is out of range or ``index`` is not below ``size``.
        """
        size = self._check_size(size)
        if isinstance(index, bool) or not isinstance(index, int):
            raise TypeError(f"leaf index must be an int, not {type(index).__name__}")
        if not 0 <= index < size:
            raise ValueError(f"leaf index {index} outside 0..{size - 1}")
        edge = self._right_edge(size)
        # Walk PATH(m, D[start:end]) from the root down; siblings are found top-first, but
        # the proof lists them bottom-first.
        siblings: list[bytes] = []
        start, end = 0, size
        while end - start > 1:
            split = start + _largest_power_of_two_below(end - start)
            if index < split:
                siblings.append(self._subtree(split, end, edge))
                end = split
            else:
                siblings.append(self._subtree(start, split, edge))
                start = split
        siblings.reverse()
        return siblings

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        """Return the RFC 6962 §2.1.2 consistency proof between two tree sizes.

        Args:
            old_size: The earlier tree size.
            new_size: The later tree size; defaults to the whole tree.

        Returns:
            Proof hashes in RFC 6962 order; empty when ``old_size`` is 0 or equals ``new_size``.

        Raises:
            ValueError: If a size is out of range or ``old_size`` exceeds ``new_size``.
        """
        new_size = self._check_size(new_size)
        old_size = self._check_size(old_size)
        if old_size > new_size:
            raise ValueError(f"old size {old_size} exceeds new size {new_size}")
        if old_size in (0, new_size):
            return []
        edge = self._right_edge(new_size)
        # Walk SUBPROOF(m, D[start:end], b) from the root down; nodes are found top-first,
        # the proof lists them bottom-first.
        nodes: list[bytes] = []
        start, end = 0, new_size
        # True while the old tree is a left prefix of the current range made only of left
        # turns; its root is then known to the verifier and is left out of the proof.
        old_root_known = True
        while old_size != end:
            split = start + _largest_power_of_two_below(end - start)
            if old_size <= split:
                nodes.append(self._subtree(split, end, edge))
                end = split
            else:
                nodes.append(self._subtree(start, split, edge))
                start = split
                old_root_known = False
        if not old_root_known:
            # When the old tree ends at a right child, that complete subtree is the
            # verifier's starting point and must be supplied.
            nodes.append(self._subtree(start, end, edge))
        nodes.reverse()
        return nodes


def _check_hash(value: object, what: str) -> bytes:
    """Return ``value`` as bytes if it is a 32-byte hash, else raise ``MalformedProof``."""
    if not isinstance(value, bytes | bytearray | memoryview):
        raise MalformedProof(f"{what} must be bytes, not {type(value).__name__}")
    if len(value) != HASH_SIZE:
        raise MalformedProof(f"{what} is {len(value)} bytes, expected {HASH_SIZE}")
    return bytes(value)


def _check_count(value: object, what: str) -> int:
    """Return ``value`` if it is a non-negative int (not bool), else raise ``MalformedProof``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise MalformedProof(f"{what} must be an int, not {type(value).__name__}")
    if value < 0:
        raise MalformedProof(f"{what} must not be negative, got {value}")
    return value


def _check_proof(proof: Sequence[bytes], expected_length: int, what: str) -> list[bytes]:
    """Return the proof hashes after checking the element count and each element's length."""
    if isinstance(proof, bytes | bytearray | memoryview | str):
        # A single hash passed where a list belongs would otherwise be iterated byte by byte.
        raise MalformedProof(f"{what} must be a sequence of hashes, not {type(proof).__name__}")
    try:
        items = list(proof)
    except TypeError:
        raise MalformedProof(f"{what} must be a sequence of hashes") from None
    if len(items) != expected_length:
        raise MalformedProof(f"{what} has {len(items)} hashes, expected {expected_length}")
    return [_check_hash(item, f"{what}[{i}]") for i, item in enumerate(items)]


def _inclusion_path_length(index: int, size: int) -> int:
    """Return the number of hashes in the audit path of leaf ``index`` in a tree of ``size``."""
    # Below the level where the paths to ``index`` and to the last leaf meet, every node on
    # the path has a sibling, so each of those levels contributes one hash.
    inner = (index ^ (size - 1)).bit_length()
    # Above it the path runs along the right edge: a set index bit is a right child with a
    # left sibling, a clear bit is a last node promoted unchanged, contributing nothing.
    border = (index >> inner).bit_count()
    return inner + border


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that ``leaf`` is at ``index`` in the tree of ``size`` leaves with root ``root``.

    Implements RFC 9162 §2.1.3.2; every shape error is detected before any hashing. Only
    ``root`` binds ``size``: a proof for size 8 can also pass as one for size 7 against the
    same root, so the (size, root) pair must come from a trusted, signed checkpoint.

    Args:
        leaf: The 32-byte leaf hash (not the raw leaf data).
        index: Zero-based leaf index.
        size: Tree size the proof was issued for.
        proof: Audit path, leaf-level sibling first.
        root: Expected 32-byte root of the tree of ``size`` leaves.

    Raises:
        MalformedProof: If a hash is not 32 bytes, ``index``/``size`` are invalid, or the proof
            has the wrong number of hashes for ``(index, size)``.
        ProofVerificationFailed: If the proof is well formed but does not produce ``root``.
    """
    # 1. Check the types and lengths of everything before trusting any of it.
    leaf = _check_hash(leaf, "leaf hash")
    root = _check_hash(root, "root")
    index = _check_count(index, "leaf index")
    size = _check_count(size, "tree size")
    # 2. The index must name a leaf of the tree; this also rules out the empty tree.
    if index >= size:
        raise MalformedProof(f"leaf index {index} is not below tree size {size}")
    # 3. The path length is fully determined by (index, size); a proof that is too short or
    #    too long is rejected here rather than silently stopping early.
    path = _check_proof(proof, _inclusion_path_length(index, size), "inclusion proof")
    # 4. fn is the node's index at the current level, sn the last node's index there.
    fn, sn = index, size - 1
    digest = leaf
    for sibling in path:
        # 5. A set LSB means we are a right child; fn == sn means we are the last node and
        #    its parent's left child is this sibling (we were promoted past missing nodes).
        if fn & 1 or fn == sn:
            digest = node_hash(sibling, digest)
            # 6. Skip levels where this node has no sibling because the tree's right edge
            #    promoted it unchanged.
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            digest = node_hash(digest, sibling)
        # 7. Move up one level.
        fn >>= 1
        sn >>= 1
    # 8. Step 3 should make this unreachable; kept as a guard that survives ``python -O``.
    if sn != 0:
        raise MalformedProof("inclusion proof ended below the root")
    # 9. Only now compare with the claimed root.
    if digest != root:
        raise ProofVerificationFailed(
            f"inclusion proof for leaf {index} in tree of size {size} does not match the root"
        )


def _consistency_proof_length(old_size: int, new_size: int) -> int:
    """Return the number of hashes in the proof between ``0 < old_size < new_size``."""
    # The proof is the audit path, within the new tree, of the rightmost complete subtree of
    # the old tree, preceded by that subtree's hash unless it is the whole old tree.
    shift = (old_size & -old_size).bit_length() - 1
    node = (old_size >> shift) - 1
    last = (new_size - 1) >> shift
    return _inclusion_path_length(node, last + 1) + (1 if node else 0)


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Check that the tree of ``old_size`` leaves is a prefix of the tree of ``new_size`` leaves.

    Implements RFC 9162 §2.1.4.2. It is stricter than the RFC on the trivial cases: for
    ``old_size == 0`` the old root must be ``EMPTY_ROOT``, and for ``old_size == new_size``
    the roots must be equal; in both cases the proof must be empty.

    Args:
        old_size: Size of the earlier tree.
        new_size: Size of the later tree.
        old_root: 32-byte root of the earlier tree.
        new_root: 32-byte root of the later tree.
        proof: Consistency proof in RFC 6962 order.

    Raises:
        MalformedProof: If a hash is not 32 bytes, a size is negative, ``old_size`` exceeds
            ``new_size``, or the proof has the wrong number of hashes for the two sizes.
        ProofVerificationFailed: If the proof is well formed but does not produce both roots.
    """
    # 1. Check the types and lengths of everything before trusting any of it.
    old_root = _check_hash(old_root, "old root")
    new_root = _check_hash(new_root, "new root")
    old_size = _check_count(old_size, "old tree size")
    new_size = _check_count(new_size, "new tree size")
    # 2. A log never shrinks; a smaller new size is a malformed request, not a fork.
    if old_size > new_size:
        raise MalformedProof(f"old tree size {old_size} exceeds new tree size {new_size}")
    # 3. Trivial cases carry no proof; check the roots directly.
    if old_size == 0 or old_size == new_size:
        _check_proof(proof, 0, "consistency proof")
        if old_size == 0 and old_root != EMPTY_ROOT:
            raise ProofVerificationFailed("old root of an empty tree must be SHA-256 of b''")
        if old_size == new_size and old_root != new_root:
            raise ProofVerificationFailed(f"roots differ for equal tree sizes {old_size}")
        return
    # 4. The proof length is fully determined by the two sizes.
    path = _check_proof(proof, _consistency_proof_length(old_size, new_size), "consistency proof")
    # 5. When the old tree is complete, its root is the implicit first proof element.
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    # 6. fn is the old tree's last node index at the current level, sn the new tree's; rise
    #    past the levels where the old tree's last node is a right child, as those are inside
    #    the first proof element already.
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    # 7. Rebuild both roots in parallel from the first element.
    old_digest = new_digest = path[0]
    for node in path[1:]:
        if fn & 1 or fn == sn:
            # 8. The node is a left sibling of both paths.
            old_digest = node_hash(node, old_digest)
            new_digest = node_hash(node, new_digest)
            # 9. Skip levels where the right edge promoted the node without a sibling.
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            # 10. A right sibling exists only in the new tree.
            new_digest = node_hash(new_digest, node)
        # 11. Move up one level.
        fn >>= 1
        sn >>= 1
    # 12. Step 4 should make this unreachable; kept as a guard that survives ``python -O``.
    if sn != 0:
        raise MalformedProof("consistency proof ended below the root")
    # 13. Both reconstructed roots must match.
    if old_digest != old_root:
        raise ProofVerificationFailed(
            f"consistency proof {old_size}->{new_size} does not reproduce the old root"
        )
    if new_digest != new_root:
        raise ProofVerificationFailed(
            f"consistency proof {old_size}->{new_size} does not reproduce the new root"
        )
