"""perf samples go to the innermost Python function on their stack."""

from __future__ import annotations

from benchmarks.perf_python_summary import summarise

SCRIPT = """\
python3.13 9174 123.456: 2004008 cpu-clock:
\t    7f00000001 silk_decode_frame (/usr/lib/libopus.so.0)
\t    7f00000002 py::OpusInputDecoder._append_to_reader:/wt/ogg.py+0x9 (/tmp/perf-9174.map)
\t    7f00000003 _PyEval_EvalFrameDefault (/usr/bin/python3.13)
\t    7f00000004 py::OpusInputDecoder.feed:/wt/backend/audio/ogg.py+0x9 (/tmp/perf-9174.map)

python3.13 9174 123.458: 2004008 cpu-clock:
\t    7f00000005 py::ogg_crc:/wt/backend/audio/ogg_pages.py+0x9 (/tmp/perf-9174.map)

python3.13 9174 123.460: 2004008 cpu-clock:
\t    ffffffff81000000 do_syscall_64 ([kernel.kallsyms])
\t    7f00000006 write (/usr/lib/x86_64-linux-gnu/libc.so.6)

python3.13 9174 123.462: 2004008 cpu-clock:
\t    7f00000007 py::ogg_crc:/wt/backend/audio/ogg_pages.py+0x9 (/tmp/perf-9174.map)

python3.13 9174 123.464: 2004008 cpu-clock:
\t    7f00000008 Py_INCREF (inlined)
\t    7f00000009 _PyEval_EvalFrameDefault (/usr/lib/libpython3.13.so.1.0)
\t    7f0000000a py::Reply._play:/wt/backend/reply.py+0x9 (/tmp/perf-9174.map)
"""


def test_native_time_is_folded_into_the_innermost_python_function() -> None:
    total, shares = summarise(SCRIPT.splitlines())
    assert total == 5
    assert [(s.where, s.samples) for s in shares] == [
        ("ogg_crc (ogg_pages.py)", 2),
        ("OpusInputDecoder._append_to_reader (ogg.py)", 1),
        ("(native) [kernel.kallsyms]", 1),
        ("Reply._play (reply.py)", 1),
    ]
    assert shares[0].share == 0.4


def test_by_library_each_sample_goes_to_the_library_it_ran_in() -> None:
    total, shares = summarise(SCRIPT.splitlines(), by_library=True)
    assert total == 5
    assert [(s.where, s.samples) for s in shares] == [
        ("(Python function trampolines)", 2),
        ("libopus.so.0", 1),
        ("[kernel.kallsyms]", 1),
        ("libpython3.13.so.1.0", 1),  # an inlined helper counts for the code it is in
    ]
