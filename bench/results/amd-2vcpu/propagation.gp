set encoding utf8
set grid ytics lc rgb "#dddddd"
set border 3
set tics nomirror
set key top right box opaque font ",9"
set style fill solid 0.7 border -1
set bars 1.5
set offsets graph 0, graph 0, graph 0.3, 0
set title 'Propagation: API event to live snapshot (bar p50, whisker p99)' font ',11'
set boxwidth 0.267
set xrange [-0.6:1.6]
set xtics ("1000/100" 0, "10000/1000" 1)
set xlabel 'pods / policies'
set ylabel 'ms'
set yrange [0:*]
set arrow from graph 0, first 100 to graph 1, first 100 nohead dt 2 lc rgb 'red'
plot 'propagation.dat' index 0 using ($1+-0.267):2 with boxes lc rgb "#1f77b4" title "pod", \
     'propagation.dat' index 0 using ($1+-0.267):2:2:3 with yerrorbars lc rgb 'black' pt 7 ps 0 notitle, \
     'propagation.dat' index 1 using ($1+0.000):2 with boxes lc rgb "#ff7f0e" title "policy", \
     'propagation.dat' index 1 using ($1+0.000):2:2:3 with yerrorbars lc rgb 'black' pt 7 ps 0 notitle, \
     'propagation.dat' index 2 using ($1+0.267):2 with boxes lc rgb "#2ca02c" title "burst", \
     'propagation.dat' index 2 using ($1+0.267):2:2:3 with yerrorbars lc rgb 'black' pt 7 ps 0 notitle
