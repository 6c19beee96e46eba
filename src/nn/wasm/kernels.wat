;; The network's hot loops in WebAssembly with 128-bit SIMD, twins of src/nn/kernels/firstLayer.ts
;; (sparseForward, sparseBackward, sparsePackedForward), src/nn/kernels/outputLayer.ts (outputLayerStep,
;; outputLayerForward) and src/nn/kernels/seedStep.ts (sparseStepTenByTen). Assembled by src/nn/wasm/build.mjs
;; (npm package wabt) into dist/nn/wasm/kernels.wasm.
;;
;; One file, though long: it is one WebAssembly module, whose functions share one imported memory and call each
;; other (the seed step calls the three kernels), and the text format has no way to split a module across files.
;;
;; Bit for bit the TypeScript twins: every value goes through the same double operations in the same order.
;; f64x2 lanes hold two different outputs (two hidden units, two classes, two weights of a gradient row), never
;; two terms of one sum, and there is no fused multiply-add (f64x2.mul then f64x2.add round twice, as JavaScript
;; does). A pixel is converted and scaled once, (value * scale), before each of its multiplies, as in the twins.
;; How outputs are grouped into blocks (ten, eight, four, two, one) changes no value, only speed: each output
;; is still its bias plus its own products, pixel by pixel in index order. Sums across lanes (a hidden unit's
;; back-propagated gradient, softmax's denominator) stay scalar, in the twins' order.
;;
;; Every pointer is a byte offset into the imported shared memory (src/nn/wasm/memory.ts allocates in it);
;; f64 arrays are 8-byte aligned, sizes are element counts. exp and log come from the host (Math.exp, Math.log):
;; WebAssembly has no instruction for them, and the same functions as the twins' give the same numbers.
;;
;; Legend: R rows in the call, I inputs (784), H (or O) hidden units, K classes (10). Matrices are row-major;
;; a weight matrix is (inputs, outputs). A SparseRows is offsets (u32, rows + 1), indices (u16) and values (u8):
;; row `row`'s non-zero pixels are p in [offsets[row], offsets[row + 1]). rowIds (u32, R) picks the rows.
(module
  (import "env" "memory" (memory 1 65536 shared))
  (import "math" "exp" (func $exp (param f64) (result f64)))
  (import "math" "log" (func $log (param f64) (result f64)))

  ;; ---------------------------------------------------------------------------------------------------------
  ;; Sums of scaled sparse pixels times a weight row: the first layer's forward for a block of outputs.
  ;;   dest[j] = bias[j] + sum_{p} (values[p] * scale) * w[indices[p] * stride + j]
  ;; over one row's non-zero pixels: indices from $idx (u16), values from $val up to $valEnd (u8). w points at
  ;; the block's first column; stride is the bytes from one input's weights to the next's.
  ;; ---------------------------------------------------------------------------------------------------------

  ;; Ten outputs (j = 0..9) in five f64x2 accumulators.
  (func $sumTen (param $dest i32) (param $bias i32) (param $w i32) (param $stride i32)
                (param $idx i32) (param $val i32) (param $valEnd i32) (param $scale f64)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $a4 v128)
    (local $x v128) (local $k i32)
    (local.set $a0 (v128.load offset=0 align=8 (local.get $bias)))
    (local.set $a1 (v128.load offset=16 align=8 (local.get $bias)))
    (local.set $a2 (v128.load offset=32 align=8 (local.get $bias)))
    (local.set $a3 (v128.load offset=48 align=8 (local.get $bias)))
    (local.set $a4 (v128.load offset=64 align=8 (local.get $bias)))
    (block $done
      (br_if $done (i32.ge_u (local.get $val) (local.get $valEnd)))
      (loop $pixels
        (local.set $x (f64x2.splat (f64.mul (f64.convert_i32_u (i32.load8_u (local.get $val))) (local.get $scale))))
        (local.set $k (i32.add (local.get $w) (i32.mul (i32.load16_u (local.get $idx)) (local.get $stride))))
        (local.set $a0 (f64x2.add (local.get $a0) (f64x2.mul (local.get $x) (v128.load offset=0 align=8 (local.get $k)))))
        (local.set $a1 (f64x2.add (local.get $a1) (f64x2.mul (local.get $x) (v128.load offset=16 align=8 (local.get $k)))))
        (local.set $a2 (f64x2.add (local.get $a2) (f64x2.mul (local.get $x) (v128.load offset=32 align=8 (local.get $k)))))
        (local.set $a3 (f64x2.add (local.get $a3) (f64x2.mul (local.get $x) (v128.load offset=48 align=8 (local.get $k)))))
        (local.set $a4 (f64x2.add (local.get $a4) (f64x2.mul (local.get $x) (v128.load offset=64 align=8 (local.get $k)))))
        (local.set $idx (i32.add (local.get $idx) (i32.const 2)))
        (br_if $pixels (i32.lt_u (local.tee $val (i32.add (local.get $val) (i32.const 1))) (local.get $valEnd)))))
    (v128.store offset=0 align=8 (local.get $dest) (local.get $a0))
    (v128.store offset=16 align=8 (local.get $dest) (local.get $a1))
    (v128.store offset=32 align=8 (local.get $dest) (local.get $a2))
    (v128.store offset=48 align=8 (local.get $dest) (local.get $a3))
    (v128.store offset=64 align=8 (local.get $dest) (local.get $a4)))

  ;; Eight outputs (j = 0..7) in four accumulators: a block of firstLayer.ts's packed weights.
  (func $sumEight (param $dest i32) (param $bias i32) (param $w i32) (param $stride i32)
                  (param $idx i32) (param $val i32) (param $valEnd i32) (param $scale f64)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $x v128) (local $k i32)
    (local.set $a0 (v128.load offset=0 align=8 (local.get $bias)))
    (local.set $a1 (v128.load offset=16 align=8 (local.get $bias)))
    (local.set $a2 (v128.load offset=32 align=8 (local.get $bias)))
    (local.set $a3 (v128.load offset=48 align=8 (local.get $bias)))
    (block $done
      (br_if $done (i32.ge_u (local.get $val) (local.get $valEnd)))
      (loop $pixels
        (local.set $x (f64x2.splat (f64.mul (f64.convert_i32_u (i32.load8_u (local.get $val))) (local.get $scale))))
        (local.set $k (i32.add (local.get $w) (i32.mul (i32.load16_u (local.get $idx)) (local.get $stride))))
        (local.set $a0 (f64x2.add (local.get $a0) (f64x2.mul (local.get $x) (v128.load offset=0 align=8 (local.get $k)))))
        (local.set $a1 (f64x2.add (local.get $a1) (f64x2.mul (local.get $x) (v128.load offset=16 align=8 (local.get $k)))))
        (local.set $a2 (f64x2.add (local.get $a2) (f64x2.mul (local.get $x) (v128.load offset=32 align=8 (local.get $k)))))
        (local.set $a3 (f64x2.add (local.get $a3) (f64x2.mul (local.get $x) (v128.load offset=48 align=8 (local.get $k)))))
        (local.set $idx (i32.add (local.get $idx) (i32.const 2)))
        (br_if $pixels (i32.lt_u (local.tee $val (i32.add (local.get $val) (i32.const 1))) (local.get $valEnd)))))
    (v128.store offset=0 align=8 (local.get $dest) (local.get $a0))
    (v128.store offset=16 align=8 (local.get $dest) (local.get $a1))
    (v128.store offset=32 align=8 (local.get $dest) (local.get $a2))
    (v128.store offset=48 align=8 (local.get $dest) (local.get $a3)))

  ;; Four outputs in two accumulators.
  (func $sumFour (param $dest i32) (param $bias i32) (param $w i32) (param $stride i32)
                 (param $idx i32) (param $val i32) (param $valEnd i32) (param $scale f64)
    (local $a0 v128) (local $a1 v128) (local $x v128) (local $k i32)
    (local.set $a0 (v128.load offset=0 align=8 (local.get $bias)))
    (local.set $a1 (v128.load offset=16 align=8 (local.get $bias)))
    (block $done
      (br_if $done (i32.ge_u (local.get $val) (local.get $valEnd)))
      (loop $pixels
        (local.set $x (f64x2.splat (f64.mul (f64.convert_i32_u (i32.load8_u (local.get $val))) (local.get $scale))))
        (local.set $k (i32.add (local.get $w) (i32.mul (i32.load16_u (local.get $idx)) (local.get $stride))))
        (local.set $a0 (f64x2.add (local.get $a0) (f64x2.mul (local.get $x) (v128.load offset=0 align=8 (local.get $k)))))
        (local.set $a1 (f64x2.add (local.get $a1) (f64x2.mul (local.get $x) (v128.load offset=16 align=8 (local.get $k)))))
        (local.set $idx (i32.add (local.get $idx) (i32.const 2)))
        (br_if $pixels (i32.lt_u (local.tee $val (i32.add (local.get $val) (i32.const 1))) (local.get $valEnd)))))
    (v128.store offset=0 align=8 (local.get $dest) (local.get $a0))
    (v128.store offset=16 align=8 (local.get $dest) (local.get $a1)))

  ;; Two outputs in one accumulator.
  (func $sumTwo (param $dest i32) (param $bias i32) (param $w i32) (param $stride i32)
                (param $idx i32) (param $val i32) (param $valEnd i32) (param $scale f64)
    (local $a0 v128) (local $k i32)
    (local.set $a0 (v128.load align=8 (local.get $bias)))
    (block $done
      (br_if $done (i32.ge_u (local.get $val) (local.get $valEnd)))
      (loop $pixels
        (local.set $k (i32.add (local.get $w) (i32.mul (i32.load16_u (local.get $idx)) (local.get $stride))))
        (local.set $a0 (f64x2.add (local.get $a0)
          (f64x2.mul (f64x2.splat (f64.mul (f64.convert_i32_u (i32.load8_u (local.get $val))) (local.get $scale)))
                     (v128.load align=8 (local.get $k)))))
        (local.set $idx (i32.add (local.get $idx) (i32.const 2)))
        (br_if $pixels (i32.lt_u (local.tee $val (i32.add (local.get $val) (i32.const 1))) (local.get $valEnd)))))
    (v128.store align=8 (local.get $dest) (local.get $a0)))

  ;; One output, scalar.
  (func $sumOne (param $dest i32) (param $bias i32) (param $w i32) (param $stride i32)
                (param $idx i32) (param $val i32) (param $valEnd i32) (param $scale f64)
    (local $a f64)
    (local.set $a (f64.load (local.get $bias)))
    (block $done
      (br_if $done (i32.ge_u (local.get $val) (local.get $valEnd)))
      (loop $pixels
        (local.set $a (f64.add (local.get $a)
          (f64.mul (f64.mul (f64.convert_i32_u (i32.load8_u (local.get $val))) (local.get $scale))
                   (f64.load (i32.add (local.get $w) (i32.mul (i32.load16_u (local.get $idx)) (local.get $stride)))))))
        (local.set $idx (i32.add (local.get $idx) (i32.const 2)))
        (br_if $pixels (i32.lt_u (local.tee $val (i32.add (local.get $val) (i32.const 1))) (local.get $valEnd)))))
    (f64.store (local.get $dest) (local.get $a)))

  ;; Outputs o in [from, to) of one row: dest (row's first output), bias, w (column 0) as above, blocks of ten,
  ;; four, two, then one.
  (func $sumColumns (param $dest i32) (param $bias i32) (param $w i32) (param $stride i32)
                    (param $idx i32) (param $val i32) (param $valEnd i32) (param $scale f64)
                    (param $from i32) (param $to i32)
    (local $o i32) (local $at i32)
    (local.set $o (local.get $from))
    (block $tens (loop $ten
      (br_if $tens (i32.gt_u (i32.add (local.get $o) (i32.const 10)) (local.get $to)))
      (local.set $at (i32.shl (local.get $o) (i32.const 3)))
      (call $sumTen (i32.add (local.get $dest) (local.get $at)) (i32.add (local.get $bias) (local.get $at))
        (i32.add (local.get $w) (local.get $at)) (local.get $stride)
        (local.get $idx) (local.get $val) (local.get $valEnd) (local.get $scale))
      (local.set $o (i32.add (local.get $o) (i32.const 10)))
      (br $ten)))
    (block $fours (loop $four
      (br_if $fours (i32.gt_u (i32.add (local.get $o) (i32.const 4)) (local.get $to)))
      (local.set $at (i32.shl (local.get $o) (i32.const 3)))
      (call $sumFour (i32.add (local.get $dest) (local.get $at)) (i32.add (local.get $bias) (local.get $at))
        (i32.add (local.get $w) (local.get $at)) (local.get $stride)
        (local.get $idx) (local.get $val) (local.get $valEnd) (local.get $scale))
      (local.set $o (i32.add (local.get $o) (i32.const 4)))
      (br $four)))
    (if (i32.le_u (i32.add (local.get $o) (i32.const 2)) (local.get $to)) (then
      (local.set $at (i32.shl (local.get $o) (i32.const 3)))
      (call $sumTwo (i32.add (local.get $dest) (local.get $at)) (i32.add (local.get $bias) (local.get $at))
        (i32.add (local.get $w) (local.get $at)) (local.get $stride)
        (local.get $idx) (local.get $val) (local.get $valEnd) (local.get $scale))
      (local.set $o (i32.add (local.get $o) (i32.const 2)))))
    (if (i32.lt_u (local.get $o) (local.get $to)) (then
      (local.set $at (i32.shl (local.get $o) (i32.const 3)))
      (call $sumOne (i32.add (local.get $dest) (local.get $at)) (i32.add (local.get $bias) (local.get $at))
        (i32.add (local.get $w) (local.get $at)) (local.get $stride)
        (local.get $idx) (local.get $val) (local.get $valEnd) (local.get $scale)))))

  ;; sparseForward: out (R,O) = b (O) + scaled sparse rows rowIds of the input times w (I,O).
  ;;   out[r,o] = b[o] + sum_{i: x[row,i] != 0} (scale * x[row,i]) * w[i,o]
  (func $sparseForward (export "sparseForward")
        (param $out i32) (param $offsets i32) (param $indices i32) (param $values i32) (param $rowIds i32)
        (param $scale f64) (param $w i32) (param $b i32) (param $R i32) (param $O i32)
    (local $r i32) (local $row i32) (local $start i32) (local $end i32) (local $stride i32)
    (local.set $stride (i32.shl (local.get $O) (i32.const 3)))
    (block $rows_done
      (br_if $rows_done (i32.eqz (local.get $R)))
      (loop $rows
        (local.set $row (i32.load (i32.add (local.get $rowIds) (i32.shl (local.get $r) (i32.const 2)))))
        (local.set $start (i32.load (i32.add (local.get $offsets) (i32.shl (local.get $row) (i32.const 2)))))
        (local.set $end (i32.load offset=4 (i32.add (local.get $offsets) (i32.shl (local.get $row) (i32.const 2)))))
        (call $sumColumns (i32.add (local.get $out) (i32.mul (local.get $r) (local.get $stride)))
          (local.get $b) (local.get $w) (local.get $stride)
          (i32.add (local.get $indices) (i32.shl (local.get $start) (i32.const 1)))
          (i32.add (local.get $values) (local.get $start)) (i32.add (local.get $values) (local.get $end))
          (local.get $scale) (i32.const 0) (local.get $O))
        (br_if $rows (i32.lt_u (local.tee $r (i32.add (local.get $r) (i32.const 1))) (local.get $R))))))

  ;; ---------------------------------------------------------------------------------------------------------
  ;; Adding scaled sparse pixels times a gradient row into a weight gradient: the first layer's backward.
  ;;   dw[indices[p] * stride + j] += (values[p] * scale) * d[j]
  ;; for one row's non-zero pixels ($idx, $val .. $valEnd as above); dw points at the block's first column.
  ;; Within one row every entry of dw receives at most one product, so the blocks' grouping changes nothing.
  ;; ---------------------------------------------------------------------------------------------------------

  ;; Ten columns, their gradients in five f64x2 registers.
  (func $addTen (param $dw i32) (param $stride i32) (param $d i32)
                (param $idx i32) (param $val i32) (param $valEnd i32) (param $scale f64)
    (local $d0 v128) (local $d1 v128) (local $d2 v128) (local $d3 v128) (local $d4 v128)
    (local $x v128) (local $k i32)
    (local.set $d0 (v128.load offset=0 align=8 (local.get $d)))
    (local.set $d1 (v128.load offset=16 align=8 (local.get $d)))
    (local.set $d2 (v128.load offset=32 align=8 (local.get $d)))
    (local.set $d3 (v128.load offset=48 align=8 (local.get $d)))
    (local.set $d4 (v128.load offset=64 align=8 (local.get $d)))
    (block $done
      (br_if $done (i32.ge_u (local.get $val) (local.get $valEnd)))
      (loop $pixels
        (local.set $x (f64x2.splat (f64.mul (f64.convert_i32_u (i32.load8_u (local.get $val))) (local.get $scale))))
        (local.set $k (i32.add (local.get $dw) (i32.mul (i32.load16_u (local.get $idx)) (local.get $stride))))
        (v128.store offset=0 align=8 (local.get $k)
          (f64x2.add (v128.load offset=0 align=8 (local.get $k)) (f64x2.mul (local.get $x) (local.get $d0))))
        (v128.store offset=16 align=8 (local.get $k)
          (f64x2.add (v128.load offset=16 align=8 (local.get $k)) (f64x2.mul (local.get $x) (local.get $d1))))
        (v128.store offset=32 align=8 (local.get $k)
          (f64x2.add (v128.load offset=32 align=8 (local.get $k)) (f64x2.mul (local.get $x) (local.get $d2))))
        (v128.store offset=48 align=8 (local.get $k)
          (f64x2.add (v128.load offset=48 align=8 (local.get $k)) (f64x2.mul (local.get $x) (local.get $d3))))
        (v128.store offset=64 align=8 (local.get $k)
          (f64x2.add (v128.load offset=64 align=8 (local.get $k)) (f64x2.mul (local.get $x) (local.get $d4))))
        (local.set $idx (i32.add (local.get $idx) (i32.const 2)))
        (br_if $pixels (i32.lt_u (local.tee $val (i32.add (local.get $val) (i32.const 1))) (local.get $valEnd))))))

  ;; Four columns.
  (func $addFour (param $dw i32) (param $stride i32) (param $d i32)
                 (param $idx i32) (param $val i32) (param $valEnd i32) (param $scale f64)
    (local $d0 v128) (local $d1 v128) (local $x v128) (local $k i32)
    (local.set $d0 (v128.load offset=0 align=8 (local.get $d)))
    (local.set $d1 (v128.load offset=16 align=8 (local.get $d)))
    (block $done
      (br_if $done (i32.ge_u (local.get $val) (local.get $valEnd)))
      (loop $pixels
        (local.set $x (f64x2.splat (f64.mul (f64.convert_i32_u (i32.load8_u (local.get $val))) (local.get $scale))))
        (local.set $k (i32.add (local.get $dw) (i32.mul (i32.load16_u (local.get $idx)) (local.get $stride))))
        (v128.store offset=0 align=8 (local.get $k)
          (f64x2.add (v128.load offset=0 align=8 (local.get $k)) (f64x2.mul (local.get $x) (local.get $d0))))
        (v128.store offset=16 align=8 (local.get $k)
          (f64x2.add (v128.load offset=16 align=8 (local.get $k)) (f64x2.mul (local.get $x) (local.get $d1))))
        (local.set $idx (i32.add (local.get $idx) (i32.const 2)))
        (br_if $pixels (i32.lt_u (local.tee $val (i32.add (local.get $val) (i32.const 1))) (local.get $valEnd))))))

  ;; Two columns.
  (func $addTwo (param $dw i32) (param $stride i32) (param $d i32)
                (param $idx i32) (param $val i32) (param $valEnd i32) (param $scale f64)
    (local $d0 v128) (local $k i32)
    (local.set $d0 (v128.load align=8 (local.get $d)))
    (block $done
      (br_if $done (i32.ge_u (local.get $val) (local.get $valEnd)))
      (loop $pixels
        (local.set $k (i32.add (local.get $dw) (i32.mul (i32.load16_u (local.get $idx)) (local.get $stride))))
        (v128.store align=8 (local.get $k)
          (f64x2.add (v128.load align=8 (local.get $k))
            (f64x2.mul (f64x2.splat (f64.mul (f64.convert_i32_u (i32.load8_u (local.get $val))) (local.get $scale)))
                       (local.get $d0))))
        (local.set $idx (i32.add (local.get $idx) (i32.const 2)))
        (br_if $pixels (i32.lt_u (local.tee $val (i32.add (local.get $val) (i32.const 1))) (local.get $valEnd))))))

  ;; One column, scalar.
  (func $addOne (param $dw i32) (param $stride i32) (param $d i32)
                (param $idx i32) (param $val i32) (param $valEnd i32) (param $scale f64)
    (local $d0 f64) (local $k i32)
    (local.set $d0 (f64.load (local.get $d)))
    (block $done
      (br_if $done (i32.ge_u (local.get $val) (local.get $valEnd)))
      (loop $pixels
        (local.set $k (i32.add (local.get $dw) (i32.mul (i32.load16_u (local.get $idx)) (local.get $stride))))
        (f64.store (local.get $k)
          (f64.add (f64.load (local.get $k))
            (f64.mul (f64.mul (f64.convert_i32_u (i32.load8_u (local.get $val))) (local.get $scale)) (local.get $d0))))
        (local.set $idx (i32.add (local.get $idx) (i32.const 2)))
        (br_if $pixels (i32.lt_u (local.tee $val (i32.add (local.get $val) (i32.const 1))) (local.get $valEnd))))))

  ;; All O columns of one row (d: the row's O gradients), blocks of ten, four, two, then one: addContiguous.
  (func $addColumns (param $dw i32) (param $stride i32) (param $d i32)
                    (param $idx i32) (param $val i32) (param $valEnd i32) (param $scale f64) (param $O i32)
    (local $o i32) (local $at i32)
    (block $tens (loop $ten
      (br_if $tens (i32.gt_u (i32.add (local.get $o) (i32.const 10)) (local.get $O)))
      (local.set $at (i32.shl (local.get $o) (i32.const 3)))
      (call $addTen (i32.add (local.get $dw) (local.get $at)) (local.get $stride) (i32.add (local.get $d) (local.get $at))
        (local.get $idx) (local.get $val) (local.get $valEnd) (local.get $scale))
      (local.set $o (i32.add (local.get $o) (i32.const 10)))
      (br $ten)))
    (block $fours (loop $four
      (br_if $fours (i32.gt_u (i32.add (local.get $o) (i32.const 4)) (local.get $O)))
      (local.set $at (i32.shl (local.get $o) (i32.const 3)))
      (call $addFour (i32.add (local.get $dw) (local.get $at)) (local.get $stride) (i32.add (local.get $d) (local.get $at))
        (local.get $idx) (local.get $val) (local.get $valEnd) (local.get $scale))
      (local.set $o (i32.add (local.get $o) (i32.const 4)))
      (br $four)))
    (if (i32.le_u (i32.add (local.get $o) (i32.const 2)) (local.get $O)) (then
      (local.set $at (i32.shl (local.get $o) (i32.const 3)))
      (call $addTwo (i32.add (local.get $dw) (local.get $at)) (local.get $stride) (i32.add (local.get $d) (local.get $at))
        (local.get $idx) (local.get $val) (local.get $valEnd) (local.get $scale))
      (local.set $o (i32.add (local.get $o) (i32.const 2)))))
    (if (i32.lt_u (local.get $o) (local.get $O)) (then
      (local.set $at (i32.shl (local.get $o) (i32.const 3)))
      (call $addOne (i32.add (local.get $dw) (local.get $at)) (local.get $stride) (i32.add (local.get $d) (local.get $at))
        (local.get $idx) (local.get $val) (local.get $valEnd) (local.get $scale)))))

  ;; Only the `count` columns units[0..count) (i32 unit numbers) with gradients grads[0..count) (f64): addGathered.
  ;; Eight at a time, their byte offsets and gradients in locals, then one by one.
  (func $addGathered (param $dw i32) (param $stride i32) (param $units i32) (param $grads i32) (param $count i32)
                     (param $idx i32) (param $val i32) (param $valEnd i32) (param $scale f64)
    (local $u i32) (local $i i32) (local $v i32) (local $k i32) (local $x f64)
    (local $j0 i32) (local $j1 i32) (local $j2 i32) (local $j3 i32) (local $j4 i32) (local $j5 i32) (local $j6 i32) (local $j7 i32)
    (local $d0 f64) (local $d1 f64) (local $d2 f64) (local $d3 f64) (local $d4 f64) (local $d5 f64) (local $d6 f64) (local $d7 f64)
    (block $eights (loop $eight
      (br_if $eights (i32.gt_u (i32.add (local.get $u) (i32.const 8)) (local.get $count)))
      (local.set $k (i32.add (local.get $units) (i32.shl (local.get $u) (i32.const 2))))
      (local.set $j0 (i32.shl (i32.load offset=0 (local.get $k)) (i32.const 3)))
      (local.set $j1 (i32.shl (i32.load offset=4 (local.get $k)) (i32.const 3)))
      (local.set $j2 (i32.shl (i32.load offset=8 (local.get $k)) (i32.const 3)))
      (local.set $j3 (i32.shl (i32.load offset=12 (local.get $k)) (i32.const 3)))
      (local.set $j4 (i32.shl (i32.load offset=16 (local.get $k)) (i32.const 3)))
      (local.set $j5 (i32.shl (i32.load offset=20 (local.get $k)) (i32.const 3)))
      (local.set $j6 (i32.shl (i32.load offset=24 (local.get $k)) (i32.const 3)))
      (local.set $j7 (i32.shl (i32.load offset=28 (local.get $k)) (i32.const 3)))
      (local.set $k (i32.add (local.get $grads) (i32.shl (local.get $u) (i32.const 3))))
      (local.set $d0 (f64.load offset=0 (local.get $k)))
      (local.set $d1 (f64.load offset=8 (local.get $k)))
      (local.set $d2 (f64.load offset=16 (local.get $k)))
      (local.set $d3 (f64.load offset=24 (local.get $k)))
      (local.set $d4 (f64.load offset=32 (local.get $k)))
      (local.set $d5 (f64.load offset=40 (local.get $k)))
      (local.set $d6 (f64.load offset=48 (local.get $k)))
      (local.set $d7 (f64.load offset=56 (local.get $k)))
      (local.set $i (local.get $idx))
      (local.set $v (local.get $val))
      (block $done
        (br_if $done (i32.ge_u (local.get $v) (local.get $valEnd)))
        (loop $pixels
          (local.set $x (f64.mul (f64.convert_i32_u (i32.load8_u (local.get $v))) (local.get $scale)))
          (local.set $k (i32.add (local.get $dw) (i32.mul (i32.load16_u (local.get $i)) (local.get $stride))))
          (f64.store (i32.add (local.get $k) (local.get $j0))
            (f64.add (f64.load (i32.add (local.get $k) (local.get $j0))) (f64.mul (local.get $x) (local.get $d0))))
          (f64.store (i32.add (local.get $k) (local.get $j1))
            (f64.add (f64.load (i32.add (local.get $k) (local.get $j1))) (f64.mul (local.get $x) (local.get $d1))))
          (f64.store (i32.add (local.get $k) (local.get $j2))
            (f64.add (f64.load (i32.add (local.get $k) (local.get $j2))) (f64.mul (local.get $x) (local.get $d2))))
          (f64.store (i32.add (local.get $k) (local.get $j3))
            (f64.add (f64.load (i32.add (local.get $k) (local.get $j3))) (f64.mul (local.get $x) (local.get $d3))))
          (f64.store (i32.add (local.get $k) (local.get $j4))
            (f64.add (f64.load (i32.add (local.get $k) (local.get $j4))) (f64.mul (local.get $x) (local.get $d4))))
          (f64.store (i32.add (local.get $k) (local.get $j5))
            (f64.add (f64.load (i32.add (local.get $k) (local.get $j5))) (f64.mul (local.get $x) (local.get $d5))))
          (f64.store (i32.add (local.get $k) (local.get $j6))
            (f64.add (f64.load (i32.add (local.get $k) (local.get $j6))) (f64.mul (local.get $x) (local.get $d6))))
          (f64.store (i32.add (local.get $k) (local.get $j7))
            (f64.add (f64.load (i32.add (local.get $k) (local.get $j7))) (f64.mul (local.get $x) (local.get $d7))))
          (local.set $i (i32.add (local.get $i) (i32.const 2)))
          (br_if $pixels (i32.lt_u (local.tee $v (i32.add (local.get $v) (i32.const 1))) (local.get $valEnd)))))
      (local.set $u (i32.add (local.get $u) (i32.const 8)))
      (br $eight)))
    (block $ones (loop $one
      (br_if $ones (i32.ge_u (local.get $u) (local.get $count)))
      (local.set $j0 (i32.shl (i32.load (i32.add (local.get $units) (i32.shl (local.get $u) (i32.const 2)))) (i32.const 3)))
      (local.set $d0 (f64.load (i32.add (local.get $grads) (i32.shl (local.get $u) (i32.const 3)))))
      (local.set $i (local.get $idx))
      (local.set $v (local.get $val))
      (block $done
        (br_if $done (i32.ge_u (local.get $v) (local.get $valEnd)))
        (loop $pixels
          (local.set $k (i32.add (i32.add (local.get $dw) (local.get $j0))
            (i32.mul (i32.load16_u (local.get $i)) (local.get $stride))))
          (f64.store (local.get $k)
            (f64.add (f64.load (local.get $k))
              (f64.mul (f64.mul (f64.convert_i32_u (i32.load8_u (local.get $v))) (local.get $scale)) (local.get $d0))))
          (local.set $i (i32.add (local.get $i) (i32.const 2)))
          (br_if $pixels (i32.lt_u (local.tee $v (i32.add (local.get $v) (i32.const 1))) (local.get $valEnd)))))
      (local.set $u (i32.add (local.get $u) (i32.const 1)))
      (br $one))))

  ;; sparseBackward, the backward of sparseForward: dout is (R,O); adds dw (I,O) += scale * x^T dout over the
  ;; rows' non-zero pixels and db (O) += sum_r dout. activeUnits (i32) and activeGrads (f64) are scratch of O.
  ;; A row of a layer of at least 32 units with at most floor(0.75 O) non-zero gradients updates only those
  ;; columns (addGathered), any other row all of them: the same rule as firstLayer.ts's gatherMinUnits and
  ;; gatherMaxActive (the tests hold the two sides of the threshold equal), since skipping a zero gradient and
  ;; adding a product with it can differ (-0 + 0 is +0).
  (func $sparseBackward (export "sparseBackward")
        (param $dw i32) (param $db i32) (param $dout i32) (param $offsets i32) (param $indices i32)
        (param $values i32) (param $rowIds i32) (param $scale f64) (param $R i32) (param $O i32)
        (param $activeUnits i32) (param $activeGrads i32)
    (local $r i32) (local $row i32) (local $start i32) (local $end i32) (local $stride i32) (local $dRow i32)
    (local $gatherLimit i32) (local $o i32) (local $active i32) (local $d f64) (local $at i32)
    (local.set $stride (i32.shl (local.get $O) (i32.const 3)))
    (local.set $gatherLimit
      (if (result i32) (i32.lt_s (local.get $O) (i32.const 32))
        (then (i32.const -1))
        (else (i32.trunc_f64_s (f64.floor (f64.mul (f64.convert_i32_s (local.get $O)) (f64.const 0.75)))))))
    (block $rows_done
      (br_if $rows_done (i32.eqz (local.get $R)))
      (loop $rows
        (local.set $row (i32.load (i32.add (local.get $rowIds) (i32.shl (local.get $r) (i32.const 2)))))
        (local.set $start (i32.load (i32.add (local.get $offsets) (i32.shl (local.get $row) (i32.const 2)))))
        (local.set $end (i32.load offset=4 (i32.add (local.get $offsets) (i32.shl (local.get $row) (i32.const 2)))))
        (local.set $dRow (i32.add (local.get $dout) (i32.mul (local.get $r) (local.get $stride))))
        (if (i32.lt_s (local.get $gatherLimit) (i32.const 0))
          (then
            ;; Narrow layer: db += the row's gradients, two at a time, then every column of dw.
            (call $addRows (local.get $db) (local.get $dRow) (local.get $O)))
          (else
            (local.set $active (i32.const 0))
            (local.set $o (i32.const 0))
            (loop $units
              (local.set $at (i32.shl (local.get $o) (i32.const 3)))
              (local.set $d (f64.load (i32.add (local.get $dRow) (local.get $at))))
              (f64.store (i32.add (local.get $db) (local.get $at))
                (f64.add (f64.load (i32.add (local.get $db) (local.get $at))) (local.get $d)))
              (if (f64.ne (local.get $d) (f64.const 0)) (then
                (i32.store (i32.add (local.get $activeUnits) (i32.shl (local.get $active) (i32.const 2))) (local.get $o))
                (f64.store (i32.add (local.get $activeGrads) (i32.shl (local.get $active) (i32.const 3))) (local.get $d))
                (local.set $active (i32.add (local.get $active) (i32.const 1)))))
              (br_if $units (i32.lt_u (local.tee $o (i32.add (local.get $o) (i32.const 1))) (local.get $O))))))
        (if (i32.le_s (local.get $active) (local.get $gatherLimit))
          (then
            (call $addGathered (local.get $dw) (local.get $stride) (local.get $activeUnits) (local.get $activeGrads)
              (local.get $active) (i32.add (local.get $indices) (i32.shl (local.get $start) (i32.const 1)))
              (i32.add (local.get $values) (local.get $start)) (i32.add (local.get $values) (local.get $end))
              (local.get $scale)))
          (else
            (call $addColumns (local.get $dw) (local.get $stride) (local.get $dRow)
              (i32.add (local.get $indices) (i32.shl (local.get $start) (i32.const 1)))
              (i32.add (local.get $values) (local.get $start)) (i32.add (local.get $values) (local.get $end))
              (local.get $scale) (local.get $O))))
        (br_if $rows (i32.lt_u (local.tee $r (i32.add (local.get $r) (i32.const 1))) (local.get $R))))))

  ;; ---------------------------------------------------------------------------------------------------------
  ;; Small vector helpers over n doubles: pairs in f64x2, the odd last one scalar.
  ;; ---------------------------------------------------------------------------------------------------------

  ;; to[j] += from[j] for j < n.
  (func $addRows (param $to i32) (param $from i32) (param $n i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $to) (i32.shl (i32.and (local.get $n) (i32.const -2)) (i32.const 3))))
    (block $pairs_done (loop $pairs
      (br_if $pairs_done (i32.ge_u (local.get $to) (local.get $end)))
      (v128.store align=8 (local.get $to)
        (f64x2.add (v128.load align=8 (local.get $to)) (v128.load align=8 (local.get $from))))
      (local.set $to (i32.add (local.get $to) (i32.const 16)))
      (local.set $from (i32.add (local.get $from) (i32.const 16)))
      (br $pairs)))
    (if (i32.and (local.get $n) (i32.const 1)) (then
      (f64.store (local.get $to) (f64.add (f64.load (local.get $to)) (f64.load (local.get $from)))))))

  ;; to[j] = from[j] * factor for j < n (to may be from).
  (func $scaleRow (param $to i32) (param $from i32) (param $factor f64) (param $n i32)
    (local $end i32) (local $f v128)
    (local.set $f (f64x2.splat (local.get $factor)))
    (local.set $end (i32.add (local.get $to) (i32.shl (i32.and (local.get $n) (i32.const -2)) (i32.const 3))))
    (block $pairs_done (loop $pairs
      (br_if $pairs_done (i32.ge_u (local.get $to) (local.get $end)))
      (v128.store align=8 (local.get $to) (f64x2.mul (v128.load align=8 (local.get $from)) (local.get $f)))
      (local.set $to (i32.add (local.get $to) (i32.const 16)))
      (local.set $from (i32.add (local.get $from) (i32.const 16)))
      (br $pairs)))
    (if (i32.and (local.get $n) (i32.const 1)) (then
      (f64.store (local.get $to) (f64.mul (f64.load (local.get $from)) (local.get $factor))))))

  ;; x[j] = x[j] > 0 ? x[j] : 0 for j < n, in place: the mask of (x > 0) keeps x or gives +0 (also for NaN).
  (func $relu (param $x i32) (param $n i32)
    (local $end i32) (local $v v128) (local $s f64)
    (local.set $end (i32.add (local.get $x) (i32.shl (i32.and (local.get $n) (i32.const -2)) (i32.const 3))))
    (block $pairs_done (loop $pairs
      (br_if $pairs_done (i32.ge_u (local.get $x) (local.get $end)))
      (local.set $v (v128.load align=8 (local.get $x)))
      (v128.store align=8 (local.get $x) (v128.and (local.get $v) (f64x2.gt (local.get $v) (v128.const f64x2 0 0))))
      (local.set $x (i32.add (local.get $x) (i32.const 16)))
      (br $pairs)))
    (if (i32.and (local.get $n) (i32.const 1)) (then
      (local.set $s (f64.load (local.get $x)))
      (f64.store (local.get $x) (select (local.get $s) (f64.const 0) (f64.gt (local.get $s) (f64.const 0)))))))

  ;; Index of the largest of scores[0..K): the first of equals, as outputLayer.ts's argmaxRow.
  (func $argmax (param $scores i32) (param $K i32) (result i32)
    (local $best i32) (local $k i32) (local $bestScore f64) (local $s f64)
    (local.set $bestScore (f64.load (local.get $scores)))
    (local.set $k (i32.const 1))
    (block $done (loop $classes
      (br_if $done (i32.ge_u (local.get $k) (local.get $K)))
      (local.set $s (f64.load (i32.add (local.get $scores) (i32.shl (local.get $k) (i32.const 3)))))
      (if (f64.gt (local.get $s) (local.get $bestScore)) (then
        (local.set $best (local.get $k))
        (local.set $bestScore (local.get $s))))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br $classes)))
    (local.get $best))

  ;; ---------------------------------------------------------------------------------------------------------
  ;; The output side of a training step for one row (outputLayer.ts's outputLayerRow): ReLU, second layer,
  ;; softmax and cross-entropy, forward and backward. hidden, dhidden: the row's H pre-activations and their
  ;; gradients; probs, dlogits: its K probabilities and logit gradients; w2 (H,K), b2 (K); dw2 and db2 are
  ;; added to. Returns the row's loss, -log probs[label].
  ;; ---------------------------------------------------------------------------------------------------------

  ;; logits[0..10) = b2 + sum over active units h (hidden[h] > 0), in order, of hidden[h] * w2[h, :].
  ;; Without a branch per unit (which units are active is as good as random, and a mispredicted branch costs
  ;; more than the work): every unit's sums are computed, and the mask of (hidden[h] > 0) keeps the new sums
  ;; or the old ones, bit for bit, so an inactive unit still adds nothing (not even a -0 turned into +0).
  (func $logitsTen (param $logits i32) (param $hidden i32) (param $H i32) (param $w2 i32) (param $b2 i32)
    (local $z0 v128) (local $z1 v128) (local $z2 v128) (local $z3 v128) (local $z4 v128)
    (local $x v128) (local $m v128) (local $end i32)
    (local.set $z0 (v128.load offset=0 align=8 (local.get $b2)))
    (local.set $z1 (v128.load offset=16 align=8 (local.get $b2)))
    (local.set $z2 (v128.load offset=32 align=8 (local.get $b2)))
    (local.set $z3 (v128.load offset=48 align=8 (local.get $b2)))
    (local.set $z4 (v128.load offset=64 align=8 (local.get $b2)))
    (local.set $end (i32.add (local.get $hidden) (i32.shl (local.get $H) (i32.const 3))))
    (block $done (loop $units
      (br_if $done (i32.ge_u (local.get $hidden) (local.get $end)))
      (local.set $x (v128.load64_splat (local.get $hidden)))
      (local.set $m (f64x2.gt (local.get $x) (v128.const f64x2 0 0)))
      (local.set $z0 (v128.bitselect (f64x2.add (local.get $z0) (f64x2.mul (local.get $x) (v128.load offset=0 align=8 (local.get $w2)))) (local.get $z0) (local.get $m)))
      (local.set $z1 (v128.bitselect (f64x2.add (local.get $z1) (f64x2.mul (local.get $x) (v128.load offset=16 align=8 (local.get $w2)))) (local.get $z1) (local.get $m)))
      (local.set $z2 (v128.bitselect (f64x2.add (local.get $z2) (f64x2.mul (local.get $x) (v128.load offset=32 align=8 (local.get $w2)))) (local.get $z2) (local.get $m)))
      (local.set $z3 (v128.bitselect (f64x2.add (local.get $z3) (f64x2.mul (local.get $x) (v128.load offset=48 align=8 (local.get $w2)))) (local.get $z3) (local.get $m)))
      (local.set $z4 (v128.bitselect (f64x2.add (local.get $z4) (f64x2.mul (local.get $x) (v128.load offset=64 align=8 (local.get $w2)))) (local.get $z4) (local.get $m)))
      (local.set $hidden (i32.add (local.get $hidden) (i32.const 8)))
      (local.set $w2 (i32.add (local.get $w2) (i32.const 80)))
      (br $units)))
    (v128.store offset=0 align=8 (local.get $logits) (local.get $z0))
    (v128.store offset=16 align=8 (local.get $logits) (local.get $z1))
    (v128.store offset=32 align=8 (local.get $logits) (local.get $z2))
    (v128.store offset=48 align=8 (local.get $logits) (local.get $z3))
    (v128.store offset=64 align=8 (local.get $logits) (local.get $z4)))

  ;; The same for any K, summed in the logits' memory: logits = b2, then += hidden[h] * w2[h, :] per active h.
  (func $logitsAny (param $logits i32) (param $hidden i32) (param $H i32) (param $w2 i32) (param $b2 i32) (param $K i32)
    (local $a f64) (local $end i32) (local $rowBytes i32) (local $k i32) (local $x v128)
    (local.set $rowBytes (i32.shl (local.get $K) (i32.const 3)))
    (memory.copy (local.get $logits) (local.get $b2) (local.get $rowBytes))
    (local.set $end (i32.add (local.get $hidden) (i32.shl (local.get $H) (i32.const 3))))
    (block $done (loop $units
      (br_if $done (i32.ge_u (local.get $hidden) (local.get $end)))
      (local.set $a (f64.load (local.get $hidden)))
      (if (f64.gt (local.get $a) (f64.const 0)) (then
        (local.set $x (f64x2.splat (local.get $a)))
        (local.set $k (i32.const 0))
        (block $pairs_done (loop $pairs
          (br_if $pairs_done (i32.gt_u (i32.add (local.get $k) (i32.const 16)) (local.get $rowBytes)))
          (v128.store align=8 (i32.add (local.get $logits) (local.get $k))
            (f64x2.add (v128.load align=8 (i32.add (local.get $logits) (local.get $k)))
                       (f64x2.mul (local.get $x) (v128.load align=8 (i32.add (local.get $w2) (local.get $k))))))
          (local.set $k (i32.add (local.get $k) (i32.const 16)))
          (br $pairs)))
        (if (i32.lt_u (local.get $k) (local.get $rowBytes)) (then
          (f64.store (i32.add (local.get $logits) (local.get $k))
            (f64.add (f64.load (i32.add (local.get $logits) (local.get $k)))
                     (f64.mul (local.get $a) (f64.load (i32.add (local.get $w2) (local.get $k))))))))))
      (local.set $hidden (i32.add (local.get $hidden) (i32.const 8)))
      (local.set $w2 (i32.add (local.get $w2) (local.get $rowBytes)))
      (br $units))))

  ;; For each active unit h: dhidden[h] = 0 + dlogits[0] * w2[h,0] + ... + dlogits[9] * w2[h,9] (scalar, in
  ;; that order) and dw2[h, :] += hidden[h] * dlogits; an inactive unit gets dhidden[h] = 0 and no update.
  (func $backTen (param $dhidden i32) (param $dw2 i32) (param $dlogits i32) (param $hidden i32) (param $H i32) (param $w2 i32)
    (local $e0 f64) (local $e1 f64) (local $e2 f64) (local $e3 f64) (local $e4 f64)
    (local $e5 f64) (local $e6 f64) (local $e7 f64) (local $e8 f64) (local $e9 f64)
    (local $d0 v128) (local $d1 v128) (local $d2 v128) (local $d3 v128) (local $d4 v128)
    (local $a f64) (local $x v128) (local $end i32)
    (local.set $d0 (v128.load offset=0 align=8 (local.get $dlogits)))
    (local.set $d1 (v128.load offset=16 align=8 (local.get $dlogits)))
    (local.set $d2 (v128.load offset=32 align=8 (local.get $dlogits)))
    (local.set $d3 (v128.load offset=48 align=8 (local.get $dlogits)))
    (local.set $d4 (v128.load offset=64 align=8 (local.get $dlogits)))
    (local.set $e0 (f64.load offset=0 (local.get $dlogits)))
    (local.set $e1 (f64.load offset=8 (local.get $dlogits)))
    (local.set $e2 (f64.load offset=16 (local.get $dlogits)))
    (local.set $e3 (f64.load offset=24 (local.get $dlogits)))
    (local.set $e4 (f64.load offset=32 (local.get $dlogits)))
    (local.set $e5 (f64.load offset=40 (local.get $dlogits)))
    (local.set $e6 (f64.load offset=48 (local.get $dlogits)))
    (local.set $e7 (f64.load offset=56 (local.get $dlogits)))
    (local.set $e8 (f64.load offset=64 (local.get $dlogits)))
    (local.set $e9 (f64.load offset=72 (local.get $dlogits)))
    (local.set $end (i32.add (local.get $hidden) (i32.shl (local.get $H) (i32.const 3))))
    (block $done (loop $units
      (br_if $done (i32.ge_u (local.get $hidden) (local.get $end)))
      (local.set $a (f64.load (local.get $hidden)))
      (if (f64.gt (local.get $a) (f64.const 0))
        (then
          ;; From 0, as the twin: 0 + (-0) is +0, which a sum started at the first product would not give.
          (f64.store (local.get $dhidden)
            (f64.add (f64.add (f64.add (f64.add (f64.add (f64.add (f64.add (f64.add (f64.add (f64.add (f64.const 0)
              (f64.mul (local.get $e0) (f64.load offset=0 (local.get $w2))))
              (f64.mul (local.get $e1) (f64.load offset=8 (local.get $w2))))
              (f64.mul (local.get $e2) (f64.load offset=16 (local.get $w2))))
              (f64.mul (local.get $e3) (f64.load offset=24 (local.get $w2))))
              (f64.mul (local.get $e4) (f64.load offset=32 (local.get $w2))))
              (f64.mul (local.get $e5) (f64.load offset=40 (local.get $w2))))
              (f64.mul (local.get $e6) (f64.load offset=48 (local.get $w2))))
              (f64.mul (local.get $e7) (f64.load offset=56 (local.get $w2))))
              (f64.mul (local.get $e8) (f64.load offset=64 (local.get $w2))))
              (f64.mul (local.get $e9) (f64.load offset=72 (local.get $w2)))))
          (local.set $x (f64x2.splat (local.get $a)))
          (v128.store offset=0 align=8 (local.get $dw2)
            (f64x2.add (v128.load offset=0 align=8 (local.get $dw2)) (f64x2.mul (local.get $x) (local.get $d0))))
          (v128.store offset=16 align=8 (local.get $dw2)
            (f64x2.add (v128.load offset=16 align=8 (local.get $dw2)) (f64x2.mul (local.get $x) (local.get $d1))))
          (v128.store offset=32 align=8 (local.get $dw2)
            (f64x2.add (v128.load offset=32 align=8 (local.get $dw2)) (f64x2.mul (local.get $x) (local.get $d2))))
          (v128.store offset=48 align=8 (local.get $dw2)
            (f64x2.add (v128.load offset=48 align=8 (local.get $dw2)) (f64x2.mul (local.get $x) (local.get $d3))))
          (v128.store offset=64 align=8 (local.get $dw2)
            (f64x2.add (v128.load offset=64 align=8 (local.get $dw2)) (f64x2.mul (local.get $x) (local.get $d4)))))
        (else (f64.store (local.get $dhidden) (f64.const 0))))
      (local.set $hidden (i32.add (local.get $hidden) (i32.const 8)))
      (local.set $dhidden (i32.add (local.get $dhidden) (i32.const 8)))
      (local.set $w2 (i32.add (local.get $w2) (i32.const 80)))
      (local.set $dw2 (i32.add (local.get $dw2) (i32.const 80)))
      (br $units))))

  ;; The same for any K: dhidden[h] = sum_k dlogits[k] * w2[h,k] from 0, scalar in k order; dw2 rows in pairs.
  (func $backAny (param $dhidden i32) (param $dw2 i32) (param $dlogits i32) (param $hidden i32) (param $H i32)
                 (param $w2 i32) (param $K i32)
    (local $a f64) (local $x v128) (local $end i32) (local $rowBytes i32) (local $k i32) (local $back f64)
    (local.set $rowBytes (i32.shl (local.get $K) (i32.const 3)))
    (local.set $end (i32.add (local.get $hidden) (i32.shl (local.get $H) (i32.const 3))))
    (block $done (loop $units
      (br_if $done (i32.ge_u (local.get $hidden) (local.get $end)))
      (local.set $a (f64.load (local.get $hidden)))
      (if (f64.gt (local.get $a) (f64.const 0))
        (then
          (local.set $back (f64.const 0))
          (local.set $k (i32.const 0))
          (block $sum_done (loop $sum
            (br_if $sum_done (i32.ge_u (local.get $k) (local.get $rowBytes)))
            (local.set $back (f64.add (local.get $back)
              (f64.mul (f64.load (i32.add (local.get $dlogits) (local.get $k))) (f64.load (i32.add (local.get $w2) (local.get $k))))))
            (local.set $k (i32.add (local.get $k) (i32.const 8)))
            (br $sum)))
          (local.set $x (f64x2.splat (local.get $a)))
          (local.set $k (i32.const 0))
          (block $pairs_done (loop $pairs
            (br_if $pairs_done (i32.gt_u (i32.add (local.get $k) (i32.const 16)) (local.get $rowBytes)))
            (v128.store align=8 (i32.add (local.get $dw2) (local.get $k))
              (f64x2.add (v128.load align=8 (i32.add (local.get $dw2) (local.get $k)))
                         (f64x2.mul (local.get $x) (v128.load align=8 (i32.add (local.get $dlogits) (local.get $k))))))
            (local.set $k (i32.add (local.get $k) (i32.const 16)))
            (br $pairs)))
          (if (i32.lt_u (local.get $k) (local.get $rowBytes)) (then
            (f64.store (i32.add (local.get $dw2) (local.get $k))
              (f64.add (f64.load (i32.add (local.get $dw2) (local.get $k)))
                       (f64.mul (local.get $a) (f64.load (i32.add (local.get $dlogits) (local.get $k))))))))
          (f64.store (local.get $dhidden) (local.get $back)))
        (else (f64.store (local.get $dhidden) (f64.const 0))))
      (local.set $hidden (i32.add (local.get $hidden) (i32.const 8)))
      (local.set $dhidden (i32.add (local.get $dhidden) (i32.const 8)))
      (local.set $w2 (i32.add (local.get $w2) (local.get $rowBytes)))
      (local.set $dw2 (i32.add (local.get $dw2) (local.get $rowBytes)))
      (br $units))))

  (func $outputRow (param $dhidden i32) (param $dw2 i32) (param $db2 i32) (param $dlogits i32) (param $probs i32)
                   (param $hidden i32) (param $label i32) (param $w2 i32) (param $b2 i32) (param $scale f64)
                   (param $H i32) (param $K i32) (result f64)
    (local $max f64) (local $labelLogit f64) (local $sum f64) (local $e f64) (local $k i32) (local $at i32)
    (local $end i32) (local $v f64)
    ;; Logits, built in probs' row.
    (if (i32.eq (local.get $K) (i32.const 10))
      (then (call $logitsTen (local.get $probs) (local.get $hidden) (local.get $H) (local.get $w2) (local.get $b2)))
      (else (call $logitsAny (local.get $probs) (local.get $hidden) (local.get $H) (local.get $w2) (local.get $b2) (local.get $K))))
    (local.set $end (i32.add (local.get $probs) (i32.shl (local.get $K) (i32.const 3))))
    ;; Softmax: max, then exp(z - max) and their sum in class order, then times 1 / sum.
    (local.set $max (f64.const -inf))
    (local.set $at (local.get $probs))
    (block $max_done (loop $max_loop
      (br_if $max_done (i32.ge_u (local.get $at) (local.get $end)))
      (local.set $v (f64.load (local.get $at)))
      (if (f64.gt (local.get $v) (local.get $max)) (then (local.set $max (local.get $v))))
      (local.set $at (i32.add (local.get $at) (i32.const 8)))
      (br $max_loop)))
    (local.set $labelLogit (f64.load (i32.add (local.get $probs) (i32.shl (local.get $label) (i32.const 3)))))
    (local.set $at (local.get $probs))
    (block $exp_done (loop $exp_loop
      (br_if $exp_done (i32.ge_u (local.get $at) (local.get $end)))
      (local.set $e (call $exp (f64.sub (f64.load (local.get $at)) (local.get $max))))
      (f64.store (local.get $at) (local.get $e))
      (local.set $sum (f64.add (local.get $sum) (local.get $e)))
      (local.set $at (i32.add (local.get $at) (i32.const 8)))
      (br $exp_loop)))
    (call $scaleRow (local.get $probs) (local.get $probs) (f64.div (f64.const 1) (local.get $sum)) (local.get $K))
    ;; Backward: dlogits = scale * (probs - onehot), added to db2 and, through active units, to dw2 and dhidden.
    (call $scaleRow (local.get $dlogits) (local.get $probs) (local.get $scale) (local.get $K))
    (local.set $at (i32.add (local.get $dlogits) (i32.shl (local.get $label) (i32.const 3))))
    (f64.store (local.get $at) (f64.sub (f64.load (local.get $at)) (local.get $scale)))
    (call $addRows (local.get $db2) (local.get $dlogits) (local.get $K))
    (if (i32.eq (local.get $K) (i32.const 10))
      (then (call $backTen (local.get $dhidden) (local.get $dw2) (local.get $dlogits) (local.get $hidden) (local.get $H) (local.get $w2)))
      (else (call $backAny (local.get $dhidden) (local.get $dw2) (local.get $dlogits) (local.get $hidden) (local.get $H)
              (local.get $w2) (local.get $K))))
    (f64.sub (f64.add (call $log (local.get $sum)) (local.get $max)) (local.get $labelLogit)))

  ;; outputLayerStep: rows r < R of hidden (R,H) with labels (u8, R): writes dhidden (R,H), probs and dlogits
  ;; (R,K), adds dw2 (H,K) and db2 (K). scale is the loss scale (1/batch rows). Returns the summed loss and
  ;; the number of rows whose most probable class is their label.
  (func $outputLayerStep (export "outputLayerStep")
        (param $dhidden i32) (param $dw2 i32) (param $db2 i32) (param $dlogits i32) (param $probs i32)
        (param $hidden i32) (param $labels i32) (param $w2 i32) (param $b2 i32) (param $scale f64)
        (param $R i32) (param $H i32) (param $K i32) (result f64 i32)
    (local $r i32) (local $lossSum f64) (local $correct i32) (local $hRow i32) (local $kRow i32) (local $label i32)
    (block $rows_done
      (br_if $rows_done (i32.eqz (local.get $R)))
      (loop $rows
        (local.set $hRow (i32.shl (i32.mul (local.get $r) (local.get $H)) (i32.const 3)))
        (local.set $kRow (i32.shl (i32.mul (local.get $r) (local.get $K)) (i32.const 3)))
        (local.set $label (i32.load8_u (i32.add (local.get $labels) (local.get $r))))
        (local.set $lossSum (f64.add (local.get $lossSum)
          (call $outputRow (i32.add (local.get $dhidden) (local.get $hRow)) (local.get $dw2) (local.get $db2)
            (i32.add (local.get $dlogits) (local.get $kRow)) (i32.add (local.get $probs) (local.get $kRow))
            (i32.add (local.get $hidden) (local.get $hRow)) (local.get $label) (local.get $w2) (local.get $b2)
            (local.get $scale) (local.get $H) (local.get $K))))
        (if (i32.eq (call $argmax (i32.add (local.get $probs) (local.get $kRow)) (local.get $K)) (local.get $label))
          (then (local.set $correct (i32.add (local.get $correct) (i32.const 1)))))
        (br_if $rows (i32.lt_u (local.tee $r (i32.add (local.get $r) (i32.const 1))) (local.get $R)))))
    (local.get $lossSum) (local.get $correct))

  ;; sparseStepTenByTen: a whole training step of a 784-10-10 network: sparseForward, outputLayerStep and
  ;; sparseBackward (for ten units always its contiguous path, which needs no scratch) over the rows, one
  ;; after the other. w1 (I,10), b1 (10), w2 (10,10), b2 (10); adds dw1, db1, dw2, db2; writes hidden,
  ;; dhidden, probs and dlogits (R,10). scale is the pixels' (1/255), lossScale the loss's (1/batch rows).
  ;; The twin goes row by row through the three, for cache locality; the numbers are the same either way (a
  ;; row's values depend on no other row's, and every gradient entry still receives the rows in order), and
  ;; here the three loops one after the other are as fast as the fused one.
  (func (export "sparseStepTenByTen")
        (param $dw1 i32) (param $db1 i32) (param $dw2 i32) (param $db2 i32) (param $hidden i32) (param $dhidden i32)
        (param $probs i32) (param $dlogits i32) (param $offsets i32) (param $indices i32) (param $values i32)
        (param $rowIds i32) (param $labels i32) (param $scale f64) (param $w1 i32) (param $b1 i32) (param $w2 i32)
        (param $b2 i32) (param $lossScale f64) (param $R i32) (result f64 i32)
    (call $sparseForward (local.get $hidden) (local.get $offsets) (local.get $indices) (local.get $values) (local.get $rowIds)
      (local.get $scale) (local.get $w1) (local.get $b1) (local.get $R) (i32.const 10))
    (call $outputLayerStep (local.get $dhidden) (local.get $dw2) (local.get $db2) (local.get $dlogits) (local.get $probs)
      (local.get $hidden) (local.get $labels) (local.get $w2) (local.get $b2) (local.get $lossScale) (local.get $R)
      (i32.const 10) (i32.const 10))
    (call $sparseBackward (local.get $dw1) (local.get $db1) (local.get $dhidden) (local.get $offsets) (local.get $indices)
      (local.get $values) (local.get $rowIds) (local.get $scale) (local.get $R) (i32.const 10) (i32.const 0) (i32.const 0)))

  ;; ---------------------------------------------------------------------------------------------------------
  ;; Prediction (firstLayer.ts's packed layer, outputLayer.ts): no backward, the first layer's weights packed in blocks of eight units.
  ;; ---------------------------------------------------------------------------------------------------------

  ;; sparsePackedForward: hidden (R,H) = max(0, b + scaled sparse rows times w1), with packed =
  ;; packFirstLayer(w1): block n (units 8n .. 8n+7) is (I,8) at n*I*8 doubles. The H % 8 units after the last
  ;; whole block are read from w1 (I,H). Block by block, every row: a block's 50 kB stays in cache.
  (func (export "sparsePackedForward")
        (param $hidden i32) (param $offsets i32) (param $indices i32) (param $values i32) (param $rowIds i32)
        (param $scale f64) (param $packed i32) (param $w1 i32) (param $b i32) (param $R i32) (param $I i32) (param $H i32)
    (local $o i32) (local $r i32) (local $row i32) (local $start i32) (local $end i32) (local $base i32)
    (local $rowBytes i32) (local $blockedEnd i32) (local $dest i32)
    (local.set $rowBytes (i32.shl (local.get $H) (i32.const 3)))
    (local.set $blockedEnd (i32.and (local.get $H) (i32.const -8)))
    (if (i32.eqz (local.get $R)) (then (return)))
    (block $blocks_done (loop $blocks
      (br_if $blocks_done (i32.ge_u (local.get $o) (local.get $blockedEnd)))
      (local.set $base (i32.add (local.get $packed) (i32.shl (i32.mul (local.get $o) (local.get $I)) (i32.const 3))))
      (local.set $r (i32.const 0))
      (loop $rows
        (local.set $row (i32.load (i32.add (local.get $rowIds) (i32.shl (local.get $r) (i32.const 2)))))
        (local.set $start (i32.load (i32.add (local.get $offsets) (i32.shl (local.get $row) (i32.const 2)))))
        (local.set $end (i32.load offset=4 (i32.add (local.get $offsets) (i32.shl (local.get $row) (i32.const 2)))))
        (local.set $dest (i32.add (i32.add (local.get $hidden) (i32.mul (local.get $r) (local.get $rowBytes)))
          (i32.shl (local.get $o) (i32.const 3))))
        (call $sumEight (local.get $dest) (i32.add (local.get $b) (i32.shl (local.get $o) (i32.const 3)))
          (local.get $base) (i32.const 64)
          (i32.add (local.get $indices) (i32.shl (local.get $start) (i32.const 1)))
          (i32.add (local.get $values) (local.get $start)) (i32.add (local.get $values) (local.get $end))
          (local.get $scale))
        (call $relu (local.get $dest) (i32.const 8))
        (br_if $rows (i32.lt_u (local.tee $r (i32.add (local.get $r) (i32.const 1))) (local.get $R))))
      (local.set $o (i32.add (local.get $o) (i32.const 8)))
      (br $blocks)))
    (if (i32.eq (local.get $blockedEnd) (local.get $H)) (then (return)))
    (local.set $r (i32.const 0))
    (loop $rest
      (local.set $row (i32.load (i32.add (local.get $rowIds) (i32.shl (local.get $r) (i32.const 2)))))
      (local.set $start (i32.load (i32.add (local.get $offsets) (i32.shl (local.get $row) (i32.const 2)))))
      (local.set $end (i32.load offset=4 (i32.add (local.get $offsets) (i32.shl (local.get $row) (i32.const 2)))))
      (local.set $dest (i32.add (local.get $hidden) (i32.mul (local.get $r) (local.get $rowBytes))))
      (call $sumColumns (local.get $dest) (local.get $b) (local.get $w1) (local.get $rowBytes)
        (i32.add (local.get $indices) (i32.shl (local.get $start) (i32.const 1)))
        (i32.add (local.get $values) (local.get $start)) (i32.add (local.get $values) (local.get $end))
        (local.get $scale) (local.get $blockedEnd) (local.get $H))
      (call $relu (i32.add (local.get $dest) (i32.shl (local.get $blockedEnd) (i32.const 3)))
        (i32.sub (local.get $H) (local.get $blockedEnd)))
      (br_if $rest (i32.lt_u (local.tee $r (i32.add (local.get $r) (i32.const 1))) (local.get $R)))))

  ;; Dense sums skipping zero inputs: dest[j] = bias[j] + sum_{i: x[i] != 0} x[i] * w[i * stride + j], for the
  ;; n inputs x (f64); w points at the block's first column. Ten outputs, two, one. The ten are summed without
  ;; a branch, masked as in logitsTen (by x[i] != 0, the twin's test: NaN is added).
  (func $denseTen (param $dest i32) (param $bias i32) (param $w i32) (param $stride i32) (param $x i32) (param $n i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $a4 v128)
    (local $v v128) (local $m v128) (local $end i32)
    (local.set $a0 (v128.load offset=0 align=8 (local.get $bias)))
    (local.set $a1 (v128.load offset=16 align=8 (local.get $bias)))
    (local.set $a2 (v128.load offset=32 align=8 (local.get $bias)))
    (local.set $a3 (v128.load offset=48 align=8 (local.get $bias)))
    (local.set $a4 (v128.load offset=64 align=8 (local.get $bias)))
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 3))))
    (block $done (loop $inputs
      (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
      (local.set $v (v128.load64_splat (local.get $x)))
      (local.set $m (f64x2.ne (local.get $v) (v128.const f64x2 0 0)))
      (local.set $a0 (v128.bitselect (f64x2.add (local.get $a0) (f64x2.mul (local.get $v) (v128.load offset=0 align=8 (local.get $w)))) (local.get $a0) (local.get $m)))
      (local.set $a1 (v128.bitselect (f64x2.add (local.get $a1) (f64x2.mul (local.get $v) (v128.load offset=16 align=8 (local.get $w)))) (local.get $a1) (local.get $m)))
      (local.set $a2 (v128.bitselect (f64x2.add (local.get $a2) (f64x2.mul (local.get $v) (v128.load offset=32 align=8 (local.get $w)))) (local.get $a2) (local.get $m)))
      (local.set $a3 (v128.bitselect (f64x2.add (local.get $a3) (f64x2.mul (local.get $v) (v128.load offset=48 align=8 (local.get $w)))) (local.get $a3) (local.get $m)))
      (local.set $a4 (v128.bitselect (f64x2.add (local.get $a4) (f64x2.mul (local.get $v) (v128.load offset=64 align=8 (local.get $w)))) (local.get $a4) (local.get $m)))
      (local.set $x (i32.add (local.get $x) (i32.const 8)))
      (local.set $w (i32.add (local.get $w) (local.get $stride)))
      (br $inputs)))
    (v128.store offset=0 align=8 (local.get $dest) (local.get $a0))
    (v128.store offset=16 align=8 (local.get $dest) (local.get $a1))
    (v128.store offset=32 align=8 (local.get $dest) (local.get $a2))
    (v128.store offset=48 align=8 (local.get $dest) (local.get $a3))
    (v128.store offset=64 align=8 (local.get $dest) (local.get $a4)))

  (func $denseTwo (param $dest i32) (param $bias i32) (param $w i32) (param $stride i32) (param $x i32) (param $n i32)
    (local $a v128) (local $h f64) (local $end i32)
    (local.set $a (v128.load align=8 (local.get $bias)))
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 3))))
    (block $done (loop $inputs
      (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
      (local.set $h (f64.load (local.get $x)))
      (if (f64.ne (local.get $h) (f64.const 0)) (then
        (local.set $a (f64x2.add (local.get $a) (f64x2.mul (f64x2.splat (local.get $h)) (v128.load align=8 (local.get $w)))))))
      (local.set $x (i32.add (local.get $x) (i32.const 8)))
      (local.set $w (i32.add (local.get $w) (local.get $stride)))
      (br $inputs)))
    (v128.store align=8 (local.get $dest) (local.get $a)))

  (func $denseOne (param $dest i32) (param $bias i32) (param $w i32) (param $stride i32) (param $x i32) (param $n i32)
    (local $a f64) (local $h f64) (local $end i32)
    (local.set $a (f64.load (local.get $bias)))
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 3))))
    (block $done (loop $inputs
      (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
      (local.set $h (f64.load (local.get $x)))
      (if (f64.ne (local.get $h) (f64.const 0)) (then
        (local.set $a (f64.add (local.get $a) (f64.mul (local.get $h) (f64.load (local.get $w)))))))
      (local.set $x (i32.add (local.get $x) (i32.const 8)))
      (local.set $w (i32.add (local.get $w) (local.get $stride)))
      (br $inputs)))
    (f64.store (local.get $dest) (local.get $a)))

  ;; outputLayerForward: logits (R,K) = b (K) + hidden (R,H) . w (H,K), zero activations skipped.
  (func (export "outputLayerForward")
        (param $logits i32) (param $hidden i32) (param $w i32) (param $b i32) (param $R i32) (param $H i32) (param $K i32)
    (local $r i32) (local $k i32) (local $at i32) (local $out i32) (local $x i32) (local $stride i32)
    (local.set $stride (i32.shl (local.get $K) (i32.const 3)))
    (block $rows_done
      (br_if $rows_done (i32.eqz (local.get $R)))
      (loop $rows
        (local.set $out (i32.add (local.get $logits) (i32.mul (local.get $r) (local.get $stride))))
        (local.set $x (i32.add (local.get $hidden) (i32.shl (i32.mul (local.get $r) (local.get $H)) (i32.const 3))))
        (local.set $k (i32.const 0))
        (block $tens (loop $ten
          (br_if $tens (i32.gt_u (i32.add (local.get $k) (i32.const 10)) (local.get $K)))
          (local.set $at (i32.shl (local.get $k) (i32.const 3)))
          (call $denseTen (i32.add (local.get $out) (local.get $at)) (i32.add (local.get $b) (local.get $at))
            (i32.add (local.get $w) (local.get $at)) (local.get $stride) (local.get $x) (local.get $H))
          (local.set $k (i32.add (local.get $k) (i32.const 10)))
          (br $ten)))
        (block $twos (loop $two
          (br_if $twos (i32.gt_u (i32.add (local.get $k) (i32.const 2)) (local.get $K)))
          (local.set $at (i32.shl (local.get $k) (i32.const 3)))
          (call $denseTwo (i32.add (local.get $out) (local.get $at)) (i32.add (local.get $b) (local.get $at))
            (i32.add (local.get $w) (local.get $at)) (local.get $stride) (local.get $x) (local.get $H))
          (local.set $k (i32.add (local.get $k) (i32.const 2)))
          (br $two)))
        (if (i32.lt_u (local.get $k) (local.get $K)) (then
          (local.set $at (i32.shl (local.get $k) (i32.const 3)))
          (call $denseOne (i32.add (local.get $out) (local.get $at)) (i32.add (local.get $b) (local.get $at))
            (i32.add (local.get $w) (local.get $at)) (local.get $stride) (local.get $x) (local.get $H))))
        (br_if $rows (i32.lt_u (local.tee $r (i32.add (local.get $r) (i32.const 1))) (local.get $R))))))
)
