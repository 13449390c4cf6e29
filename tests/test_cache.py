import threading

from rag.cache import LRUCache


def test_least_recently_used_entry_goes_first():
    cache = LRUCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # a is now the most recently used
    cache.put("c", 3)
    assert cache.get("b") is None
    assert (cache.get("a"), cache.get("c"), len(cache)) == (1, 3, 2)


def test_size_zero_keeps_nothing_and_clear_empties():
    off = LRUCache(0)
    off.put("a", 1)
    assert off.get("a") is None and len(off) == 0
    cache = LRUCache(4)
    cache.put("a", 1)
    cache.clear()
    assert cache.get("a") is None


def test_concurrent_use_stays_within_size():
    cache = LRUCache(50)

    def work(offset):
        for n in range(2000):
            cache.put((offset, n % 80), n)
            cache.get((offset, (n * 7) % 80))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(cache) == 50
