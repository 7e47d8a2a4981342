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
set multiplot layout 1,2 title "Versus concurrent flows: 10000 pods / 1000 policies, 64 B" font ',11'
set xlabel "concurrent flows"
set logscale x
set format x '%.0s%c'
set xrange [682.6666666666666:1572864.0]
set ylabel "Mpps into the DUT (median, min-max)"
set yrange [0:*]
plot 'flows.dat' index 0 using 1:2:3:4 with yerrorlines lw 2 pt 7 ps 0.8 lc rgb C[1] title T[1], \
     'flows.dat' index 1 using 1:2:3:4 with yerrorlines lw 2 pt 7 ps 0.8 lc rgb C[2] title T[2], \
     'flows.dat' index 2 using 1:2:3:4 with yerrorlines lw 2 pt 7 ps 0.8 lc rgb C[3] title T[3]
set ylabel "DUT busy cycles per packet"
set yrange [0:*]
plot 'flows.dat' index 0 using 1:5:6:7 with yerrorlines lw 2 pt 7 ps 0.8 lc rgb C[1] title T[1], \
     'flows.dat' index 1 using 1:5:6:7 with yerrorlines lw 2 pt 7 ps 0.8 lc rgb C[2] title T[2], \
     'flows.dat' index 2 using 1:5:6:7 with yerrorlines lw 2 pt 7 ps 0.8 lc rgb C[3] title T[3]
unset multiplot
