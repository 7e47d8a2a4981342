set encoding utf8
set grid ytics lc rgb "#dddddd"
set border 3
set tics nomirror
set key top right box opaque font ",9"
set style fill solid 0.7 border -1
set bars 1.5
set offsets graph 0, graph 0, graph 0.3, 0
array T[1] = ["podwall policy+ct"]
array C[1] = ["#d62728"]
set multiplot layout 1,2 title "Versus policies: 10000 pods, 1048576 flows, 64 B" font ',11'
set xlabel "policies"
set logscale x
set format x '%.0s%c'
set xrange [6.666666666666667:6000.0]
set ylabel "Mpps into the DUT (median, min-max)"
set yrange [0:*]
plot 'policies.dat' index 0 using 1:2:3:4 with yerrorlines lw 2 pt 7 ps 0.8 lc rgb C[1] title T[1], \
     6.399 with lines dt 2 lw 1.5 lc rgb "#ff7f0e" title "podwall allow-all (standard point)", \
     6.03733 with lines dt 2 lw 1.5 lc rgb "#2ca02c" title "testpmd io (ceiling) (standard point)"
set ylabel "DUT busy cycles per packet"
set yrange [0:*]
plot 'policies.dat' index 0 using 1:5:6:7 with yerrorlines lw 2 pt 7 ps 0.8 lc rgb C[1] title T[1], \
     281.257 with lines dt 2 lw 1.5 lc rgb "#ff7f0e" title "podwall allow-all (standard point)", \
     196.95 with lines dt 2 lw 1.5 lc rgb "#2ca02c" title "testpmd io (ceiling) (standard point)"
unset multiplot
