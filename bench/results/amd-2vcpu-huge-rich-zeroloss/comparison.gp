set encoding utf8
set grid ytics lc rgb "#dddddd"
set border 3
set tics nomirror
set key top right box opaque font ",9"
set style fill solid 0.7 border -1
set bars 1.5
set offsets graph 0, graph 0, graph 0.3, 0
array T[3] = ["podwall policy+ct", "podwall allow-all", "testpmd io (ceiling)"]
array C[3] = ["#d62728", "#ff7f0e", "#2ca02c"]
set multiplot layout 1,2 title "Standard point: 10000 pods / 1000 policies, 1048576 flows, 64 B" font ',11'
set xlabel ""
set boxwidth 0.267
set xrange [-0.6:0.6]
set xtics ("" 0)
set ylabel "Mpps into the DUT (unlimited offer)"
unset logscale y
set yrange [0:*]
plot 'comparison.dat' index 0 using ($1+-0.267):3 with boxes lc rgb C[1] title T[1], \
     'comparison.dat' index 0 using ($1+-0.267):3:4:5 with yerrorbars lc rgb 'black' pt 7 ps 0 notitle, \
     'comparison.dat' index 1 using ($1+0.000):3 with boxes lc rgb C[2] title T[2], \
     'comparison.dat' index 1 using ($1+0.000):3:4:5 with yerrorbars lc rgb 'black' pt 7 ps 0 notitle, \
     'comparison.dat' index 2 using ($1+0.267):3 with boxes lc rgb C[3] title T[3], \
     'comparison.dat' index 2 using ($1+0.267):3:4:5 with yerrorbars lc rgb 'black' pt 7 ps 0 notitle
set ylabel "DUT busy cycles per packet"
unset logscale y
set yrange [0:*]
plot 'comparison.dat' index 0 using ($1+-0.267):6 with boxes lc rgb C[1] title T[1], \
     'comparison.dat' index 0 using ($1+-0.267):6:7:8 with yerrorbars lc rgb 'black' pt 7 ps 0 notitle, \
     'comparison.dat' index 1 using ($1+0.000):6 with boxes lc rgb C[2] title T[2], \
     'comparison.dat' index 1 using ($1+0.000):6:7:8 with yerrorbars lc rgb 'black' pt 7 ps 0 notitle, \
     'comparison.dat' index 2 using ($1+0.267):6 with boxes lc rgb C[3] title T[3], \
     'comparison.dat' index 2 using ($1+0.267):6:7:8 with yerrorbars lc rgb 'black' pt 7 ps 0 notitle
unset multiplot
