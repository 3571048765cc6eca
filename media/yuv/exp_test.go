package yuv
import ("fmt";"image";"testing")
func BenchmarkExp(b *testing.B) {
	for _, tc := range [][4]int{
		{1280,720,1920,1080},{1280,720,2560,1440},{1280,720,854,480},{1280,720,1000,562},{1280,720,1100,620},{1280,720,960,540},{1280,720,500,282},{1280,720,426,240},{1280,720,320,180},{1280,720,1280,960},{1280,720,1200,720},{1280,720,640,480}, {1280,720,1282,722},
		{640,480,800,600},{640,480,960,720},{640,480,1280,960},{640,480,1600,1200},{640,480,1920,1440},{640,480,400,300},{640,480,213,160},{640,480,1440,1080}, {640,480,720,480},
	} {
		src := camera(tc[0], tc[1])
		dst := image.NewRGBA(image.Rect(0,0,tc[2],tc[3]))
		var t [3]float64
		for p := 1; p <= 2; p++ {
			forcePath = p
			var c Converter
			r := testing.Benchmark(func(b *testing.B) { for b.Loop() { c.ConvertInto(dst, src, false) } })
			t[p] = float64(r.NsPerOp())/1e6
		}
		fmt.Printf("%v  yuv-first %.3f  rgba-first %.3f  ratio %.2f\n", tc, t[1], t[2], t[2]/t[1])
	}
	forcePath = 0
}
